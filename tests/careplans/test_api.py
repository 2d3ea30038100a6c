import datetime as dt
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from careplans.models import CarePlan, StatusChange
from patients.models import RedFlagStatus
from tests.factories import CarePlanFactory, GoalFactory, UserFactory, today

pytestmark = pytest.mark.django_db

TODAY = today()


def new_plan_body(patient, **extra):
    return {
        "patient": patient.pk,
        "start_date": TODAY.isoformat(),
        "goals": [{"category": "function", "description": "Carry groceries", "target": "ODI <= 20"}],
        "coverage": {"payer": "Acme Health", "referral_required": True, "visit_limit": 10},
        "modalities": ["heat", "tens"],
        "equipment": ["resistance_band", "foam_roller"],
        **extra,
    }


def test_pt_opens_draft_plan(api, pt, patient):
    response = api.post("/api/v1/care-plans/", new_plan_body(patient), format="json")
    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["status"] == "draft"
    assert plan["lead_pt"] == pt.pk
    assert plan["version"] == 1
    assert plan["week"] == 1
    assert [r["week"] for r in plan["reassessments_due"]] == [4, 8, 12]
    assert plan["reassessments_due"][2]["due_date"] == (TODAY + dt.timedelta(days=84)).isoformat()
    assert plan["coverage"] == {"payer": "Acme Health", "referral_required": True, "visit_limit": 10,
                                "visits_used": 0, "visits_remaining": 10, "warning": None}
    assert response["ETag"] == '"1"'


def test_plan_body_errors_are_400_and_write_nothing(api, patient):
    body = new_plan_body(patient, goals=[{"category": "flying", "description": "", "target": "x"}],
                         modalities=["acupuncture"])
    response = api.post("/api/v1/care-plans/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"goals", "modalities"}
    assert not CarePlan.objects.exists()


def lifecycle(api, plan, step, **body):
    return api.post(f"/api/v1/care-plans/{plan.pk}/{step}/", body, format="json")


def test_full_lifecycle_records_each_change(api, patient, pt):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt)
    GoalFactory(care_plan=plan)
    for step, status in [("activate", "active"), ("pause", "paused"), ("resume", "active"),
                         ("discharge", "discharged")]:
        response = lifecycle(api, plan, step, note=f"{step} now")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == status
    assert list(StatusChange.objects.filter(care_plan=plan).values_list("to_status", flat=True)) == [
        "active", "paused", "active", "discharged"]
    assert CarePlan.objects.get(pk=plan.pk).version == 5


@pytest.mark.parametrize(("status", "step"), [
    ("draft", "pause"), ("draft", "resume"), ("draft", "discharge"), ("active", "activate"),
    ("active", "resume"), ("paused", "pause"), ("paused", "activate"), ("discharged", "activate"),
    ("discharged", "pause"), ("discharged", "resume"), ("discharged", "discharge"),
])
def test_impossible_transitions_are_409(api, patient, pt, status, step):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt, status=status)
    response = lifecycle(api, plan, step)
    assert response.status_code == 409
    assert response.json()["detail"]
    assert CarePlan.objects.get(pk=plan.pk).status == status


def test_activation_refused_while_red_flags_positive(api, patient, pt):
    patient.red_flags, patient.red_flag_status = ["major_trauma"], RedFlagStatus.POSITIVE
    patient.save()
    plan = GoalFactory(care_plan__patient=patient, care_plan__lead_pt=pt).care_plan
    response = lifecycle(api, plan, "activate")
    assert response.status_code == 409
    assert "red flags" in response.json()["detail"]
    api.post(f"/api/v1/patients/{patient.pk}/red-flags/clear/", {"outcome": "referred", "note": "Sent for X-ray"},
             format="json")
    assert lifecycle(api, plan, "activate").status_code == 200


def test_activation_needs_a_goal(api, patient, pt):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt)
    response = lifecycle(api, plan, "activate")
    assert response.status_code == 409
    assert "goal" in response.json()["detail"]


@pytest.mark.parametrize("open_status", ["active", "paused"])
def test_activation_refused_while_another_plan_is_open(api, patient, pt, open_status):
    CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt, status=open_status)
    plan = GoalFactory(care_plan__patient=patient, care_plan__lead_pt=pt).care_plan
    response = lifecycle(api, plan, "activate")
    assert response.status_code == 409
    assert "already has an active or paused" in response.json()["detail"]


def test_database_refuses_two_open_plans(patient, pt):
    from django.db import IntegrityError

    CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt, status="active")
    with pytest.raises(IntegrityError):
        CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt, status="paused")


def test_only_the_lead_pt_changes_a_plan(client_for, patient, pt, other_pt):
    plan = GoalFactory(care_plan__patient=patient, care_plan__lead_pt=pt).care_plan
    response = lifecycle(client_for(other_pt), plan, "activate")
    assert response.status_code == 403
    pt.is_active = False
    pt.save()
    assert lifecycle(client_for(other_pt), plan, "activate").status_code == 200  # the lead left: cover


def patch(client, plan, body, version=None):
    headers = {} if version is None else {"HTTP_IF_MATCH": f'"{version}"'}
    return client.patch(f"/api/v1/care-plans/{plan.pk}/", body, format="json", **headers)


def test_patch_needs_if_match(api, patient, pt):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt)
    response = patch(api, plan, {"payer": "x"})
    assert response.status_code == 428
    response = patch(api, plan, {"coverage": {"visit_limit": 8}}, version=1)
    assert response.status_code == 200, response.content
    assert response.json()["coverage"]["visit_limit"] == 8
    assert response["ETag"] == '"2"'
    stale = patch(api, plan, {"coverage": {"visit_limit": 12}}, version=1)
    assert stale.status_code == 412
    assert CarePlan.objects.get(pk=plan.pk).visit_limit == 8


def test_patch_replaces_goals_and_refuses_start_change_after_activation(api, patient, pt):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt, status="active")
    GoalFactory(care_plan=plan)
    goals = [{"category": "core_strength", "description": "Plank", "target": "60 s"}]
    response = patch(api, plan, {"goals": goals}, version=1)
    assert [g["category"] for g in response.json()["goals"]] == ["core_strength"]
    response = patch(api, plan, {"start_date": str(today() - dt.timedelta(days=30))}, version=2)
    assert response.status_code == 409


def test_visits_count_toward_coverage_with_warning(api, patient, pt):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt, status="active", visit_limit=5)
    for _ in range(4):
        response = api.post("/api/v1/visits/", {"care_plan": plan.pk, "occurred_at": "2025-05-01T15:00:00Z",
                                                "mode": "in_clinic", "kind": "follow_up"}, format="json")
        assert response.status_code == 201, response.content
    coverage = api.get(f"/api/v1/care-plans/{plan.pk}/").json()["coverage"]
    assert coverage["visits_used"] == 4
    assert coverage["warning"] == "4 of 5 authorised visits are used."


def test_visit_in_the_future_is_refused(api, patient, pt):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt, status="active")
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
    response = api.post("/api/v1/visits/", {"care_plan": plan.pk, "occurred_at": future, "mode": "video",
                                            "kind": "follow_up"}, format="json")
    assert response.status_code == 400
    assert "occurred_at" in response.json()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_patches_of_one_version_one_wins(clinic):
    pt = UserFactory(clinic=clinic)
    plan = CarePlanFactory(patient__clinic=clinic, lead_pt=pt, created_by=pt)
    barrier = threading.Barrier(2)
    results = {}

    def edit(payer):
        client = APIClient()
        client.force_authenticate(pt)
        barrier.wait()
        try:
            results[payer] = patch(client, plan, {"coverage": {"payer": payer}}, version=1).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(payer,)) for payer in ("Aetna", "Cigna")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [200, 412]
    winner = next(payer for payer, code in results.items() if code == 200)
    stored = CarePlan.objects.get(pk=plan.pk)
    assert (stored.payer, stored.version) == (winner, 2)
