"""With Redis unreachable, every API endpoint answers its normal answer or 503, never 500 (issue 10 §3):
the detail reads (with ids of rows that exist) and the writes, not only the lists."""

import datetime as dt
import re

import pytest

from patients.models import Patient
from tests.careplans.test_api import new_plan_body
from tests.core.test_redis_down import redis_down  # noqa: F401 - the fixture
from tests.factories import CarePlanFactory, GoalFactory, today
from tests.patients.test_api import INTAKE

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("redis_down")]
PARAM = re.compile(r"\{[^}]+\}")


def schema_paths() -> dict[str, set[str]]:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return {path: {method.upper() for method in item} for path, item in paths.items()}


@pytest.fixture
def clinic_data(api, patient, pt):
    """A care plan, a goal, an assessment with its safety alert, a report: rows for the ids."""
    plan = CarePlanFactory(patient=patient, lead_pt=pt, start_date=today())
    GoalFactory(care_plan=plan)
    response = api.post("/api/v1/assessments/", {
        "patient": patient.pk, "instrument": "phq9", "answers": [1, 1, 0, 0, 0, 0, 0, 0, 2],
        "collected_at": dt.datetime.now(dt.UTC).isoformat()}, format="json")
    assert response.status_code == 201, response.content
    report = api.post("/api/v1/reports/outcomes/", {"start_from": "2026-01-01", "start_to": "2026-06-30",
                                                   "as_of": "2026-10-01"}, format="json")
    assert report.status_code == 202, report.content
    return plan


def first_id(client, list_path: str):
    response = client.get(list_path)
    if response.status_code != 200 or not response["Content-Type"].startswith("application/json"):
        return None
    body = response.json()
    rows = body.get("results") if isinstance(body, dict) else body
    return rows[0].get("id") if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None


def concrete_paths(client, paths: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each path with its one id filled in from its list; paths whose list is empty are left out."""
    concrete, ids = {}, {}
    for path, methods in paths.items():
        params = PARAM.findall(path)
        if len(params) > 1:
            continue
        if params:
            base = path[:path.index("{")]
            if base not in ids:
                ids[base] = first_id(client, base)
            if ids[base] is None:
                continue
            path = PARAM.sub(str(ids[base]), path)
        concrete[path] = methods
    return concrete


def server_errors(answers: dict) -> dict:
    return {where: status for where, status in answers.items() if status >= 500 and status != 503}


def test_no_detail_read_answers_500(clinic_data, client_for, pt, manager):
    for user in (pt, manager):
        client = client_for(user)
        paths = concrete_paths(client, schema_paths())
        reads = [path for path, methods in paths.items() if "GET" in methods and path not in schema_paths()]
        assert len(reads) > 10, reads  # the detail reads, with ids of real rows
        assert server_errors({path: client.get(path).status_code for path in reads}) == {}


def test_the_main_writes_answer_normally(clinic_data, api):
    created = api.post("/api/v1/patients/", INTAKE, format="json")
    assert created.status_code == 201, created.content
    new_patient = Patient.objects.get(pk=created.json()["id"])
    plan = api.post("/api/v1/care-plans/", new_plan_body(new_patient), format="json")
    assert plan.status_code == 201, plan.content


def test_no_write_answers_500(clinic_data, client_for, pt):
    client = client_for(pt)
    paths = concrete_paths(client, schema_paths())
    answers = {}
    for method in ("POST", "PATCH", "PUT"):
        for path in (path for path, methods in paths.items() if method in methods):
            answers[f"{method} {path}"] = getattr(client, method.lower())(path, {}, format="json").status_code
    assert len(answers) > 20, answers
    assert server_errors(answers) == {}
