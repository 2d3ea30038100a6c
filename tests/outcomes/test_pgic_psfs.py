"""PGIC (clinical-reference §1, v2): scored and banded on the server, recorded once a care plan has
started. PSFS v2: one activity once per submission, labels stored stripped, and the activities of the
plan's first PSFS offered again at follow-up."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from careplans.models import CarePlan
from core.models import AuditEvent
from outcomes.models import Assessment
from tests.factories import TZ, CarePlanFactory, today

pytestmark = pytest.mark.django_db


def _collected(day: dt.date | None = None) -> str:
    """09:00 on the patient's `day`, by default yesterday (today's 09:00 may be still to come)."""
    return dt.datetime.combine(day or today() - dt.timedelta(days=1), dt.time(9), tzinfo=ZoneInfo(TZ)).isoformat()


def _post(client, patient, instrument, answers, day=None, **extra):
    return client.post("/api/v1/assessments/", {"patient": patient.pk, "instrument": instrument, "answers": answers,
                                                "collected_at": _collected(day), **extra}, format="json")


def _plan(patient, pt, status=CarePlan.Status.ACTIVE, days_ago=84):
    return CarePlanFactory(patient=patient, lead_pt=pt, status=status, start_date=today() - dt.timedelta(days=days_ago))


# --- PGIC ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("answer", "band"), [(2, "improved"), (4, "unchanged"), (6, "worse")])
def test_a_pgic_at_week_12_is_scored_and_banded_on_the_server(api, patient, pt, answer, band):
    plan = _plan(patient, pt)
    response = _post(api, patient, "pgic", [answer])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["score"], body["band"], body["loinc"], body["care_plan"]) == (answer, band, None, plan.pk)


@pytest.mark.parametrize("status", [CarePlan.Status.PAUSED, CarePlan.Status.DISCHARGED])
def test_a_pgic_is_taken_for_a_paused_or_discharged_plan(api, patient, pt, status):
    _plan(patient, pt, status=status)
    assert _post(api, patient, "pgic", [3]).status_code == 201


def test_a_pgic_before_week_12_is_accepted(api, patient, pt):
    """Any day after the plan's start (the report reads only the week-12 window, §5)."""
    _plan(patient, pt, days_ago=20)
    assert _post(api, patient, "pgic", [4], day=today() - dt.timedelta(days=10)).status_code == 201


@pytest.mark.parametrize(("plan", "day_offset"), [
    (None, -1),  # no plan at all
    (CarePlan.Status.DRAFT, -1),  # a draft has not started
    (CarePlan.Status.ACTIVE, -30),  # collected before the plan's start (started 20 days ago)
])
def test_a_pgic_without_a_started_plan_is_refused(api, patient, pt, plan, day_offset):
    if plan:
        _plan(patient, pt, status=plan, days_ago=20)
    response = _post(api, patient, "pgic", [2], day=today() + dt.timedelta(days=day_offset))
    assert response.status_code == 400
    assert "care plan has started" in response.json()["instrument"][0]
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("answers", [[0], [8], [2, 3], ["2"]])
def test_a_pgic_out_of_range_is_refused(api, patient, pt, answers):
    _plan(patient, pt)
    response = _post(api, patient, "pgic", answers)
    assert response.status_code == 400 and "answers" in response.json()
    assert not Assessment.objects.exists()


def test_odi_has_no_loinc_total(api, patient):
    """clinical-reference §1: ODI is the local code odi-2.1a, with no LOINC total."""
    assert _post(api, patient, "odi", [1] * 10).json()["loinc"] is None


# --- PSFS v2 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("second", ["lifting", " Lifting ", "LIFTING\t"])
def test_one_activity_twice_in_a_psfs_is_refused(api, patient, second):
    response = _post(api, patient, "psfs", [{"label": "Lifting", "rating": 3}, {"label": second, "rating": 5}])
    assert response.status_code == 400
    assert "Activity 2" in response.json()["answers"][0]
    assert not Assessment.objects.exists()


def test_psfs_labels_are_stored_stripped_and_a_resend_matches_them(client_for, integration, patient):
    app = client_for(integration)
    body = [{"label": "  Lifting groceries ", "rating": 3}, {"label": "Sitting\n", "rating": 6}]
    yesterday = today() - dt.timedelta(days=1)
    first, again = (_post(app, patient, "psfs", body, day=yesterday, external_id="psfs-1") for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 200)
    assert Assessment.objects.get().answers == [{"label": "Lifting groceries", "rating": 3},
                                                {"label": "Sitting", "rating": 6}]


def _activities(client, patient):
    return client.get(f"/api/v1/patients/{patient.pk}/psfs-activities/")


def test_follow_up_offers_the_activities_of_the_first_psfs_of_the_plan(api, client_for, integration, patient, pt):
    previous = _plan(patient, pt, status=CarePlan.Status.DISCHARGED, days_ago=300)
    _post(api, patient, "psfs", [{"label": "Running", "rating": 2}], day=previous.start_date + dt.timedelta(days=1))
    _plan(patient, pt, days_ago=30)
    assert _activities(api, patient).json() == {"activities": []}  # none yet in this plan
    # the baseline at the evaluation, a week before the plan's start, is the plan's first
    _post(api, patient, "psfs", [{"label": "Lifting groceries ", "rating": 3}, {"label": "Sitting", "rating": 5}],
          day=today() - dt.timedelta(days=37))
    _post(api, patient, "psfs", [{"label": "Gardening", "rating": 4}], day=today() - dt.timedelta(days=2))
    for client in (api, client_for(integration)):
        response = _activities(client, patient)
        assert response.status_code == 200
        assert response.json() == {"activities": ["Lifting groceries", "Sitting"]}
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, table_name="patients_patient",
                                      patient_id=patient.pk)
    assert reads.count() == 3  # every read of the patient's data is audited
    rated_again = [{"label": label, "rating": 6} for label in _activities(api, patient).json()["activities"]]
    added = _post(api, patient, "psfs", [*rated_again, {"label": "Walking the dog", "rating": 7}])
    assert added.status_code == 201  # a new activity may be added (§1, v2)


def test_psfs_activities_are_404_across_clinics_and_403_without_the_right(client_for, outsider_pt, manager,
                                                                          patient, pt):
    _plan(patient, pt)
    assert _activities(client_for(outsider_pt), patient).status_code == 404
    assert _activities(client_for(manager), patient).status_code == 403
    assert _activities(client_for(), patient).status_code in (401, 403)
