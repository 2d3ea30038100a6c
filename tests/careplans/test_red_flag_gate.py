"""Activation gating (clinical-reference §2, v2): a plan is activated only when the red-flag status is
none, cleared or referred; not_screened and positive are refused with a 4xx naming the reason, and
nothing is written. Every path that activates: the API, the web page and the demo seeding (the
integration account cannot activate at all)."""

import pytest
from django.urls import reverse

from careplans.models import CarePlan, StatusChange
from core.models import AuditEvent
from patients.models import RedFlagStatus
from tests.factories import CarePlanFactory, GoalFactory, PatientFactory

pytestmark = pytest.mark.django_db

REFUSED = {
    RedFlagStatus.NOT_SCREENED: "not been screened for red flags",
    RedFlagStatus.POSITIVE: "positive red flags",
}


def draft_for(clinic, pt, status):
    reviewed = {"red_flag_reviewed_by": pt, "red_flag_review_note": "Reviewed"} if status in ("cleared",
                                                                                               "referred") else {}
    flags = ["major_trauma"] if status in ("positive", "cleared", "referred") else []
    patient = PatientFactory(clinic=clinic, primary_pt=pt, red_flag_status=status, red_flags=flags, **reviewed)
    return GoalFactory(care_plan__patient=patient, care_plan__lead_pt=pt, care_plan__created_by=pt).care_plan


def writes() -> int:
    return AuditEvent.objects.exclude(action=AuditEvent.Action.READ).count()


@pytest.mark.parametrize("status", list(REFUSED))
def test_the_api_refuses_activation_naming_the_reason_and_writes_nothing(api, clinic, pt, status):
    plan = draft_for(clinic, pt, status)
    before = writes()
    response = api.post(f"/api/v1/care-plans/{plan.pk}/activate/", {}, format="json")
    assert response.status_code == 409
    assert REFUSED[status] in response.json()["detail"]
    plan.refresh_from_db()
    assert (plan.status, plan.version, plan.activated_at) == ("draft", 1, None)
    assert not StatusChange.objects.filter(care_plan=plan).exists() and writes() == before


@pytest.mark.parametrize("status", ["none", "cleared", "referred"])
def test_the_api_activates_a_screened_patients_plan(api, clinic, pt, status):
    plan = draft_for(clinic, pt, status)
    response = api.post(f"/api/v1/care-plans/{plan.pk}/activate/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"


def test_completing_the_screen_unblocks_activation(api, clinic, pt):
    plan = draft_for(clinic, pt, RedFlagStatus.NOT_SCREENED)
    assert api.post(f"/api/v1/care-plans/{plan.pk}/activate/", {}, format="json").status_code == 409
    api.post(f"/api/v1/patients/{plan.patient_id}/red-flags/screen/", {"red_flags": []}, format="json")
    assert api.post(f"/api/v1/care-plans/{plan.pk}/activate/", {}, format="json").status_code == 200


def test_an_open_plan_of_a_patient_stored_as_not_screened_goes_on(api, clinic, pt):
    """A plan activated before v2 is paused, resumed and discharged as before."""
    patient = PatientFactory(clinic=clinic, primary_pt=pt, red_flag_status=RedFlagStatus.NOT_SCREENED)
    plan = CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt, status=CarePlan.Status.PAUSED)
    assert api.post(f"/api/v1/care-plans/{plan.pk}/resume/", {}, format="json").status_code == 200
    assert api.post(f"/api/v1/care-plans/{plan.pk}/discharge/", {}, format="json").status_code == 200


def test_a_paused_plan_is_not_resumed_over_a_positive_flag_until_it_is_reviewed(api, clinic, pt):
    """A new flag while the plan is paused: resuming would activate it again (clinical-reference §2)."""
    patient = PatientFactory(clinic=clinic, primary_pt=pt, red_flag_status=RedFlagStatus.POSITIVE,
                             red_flags=["major_trauma"])
    plan = CarePlanFactory(patient=patient, lead_pt=pt, created_by=pt, status=CarePlan.Status.PAUSED)
    refused = api.post(f"/api/v1/care-plans/{plan.pk}/resume/", {}, format="json")
    assert refused.status_code == 409 and REFUSED[RedFlagStatus.POSITIVE] in refused.json()["detail"]
    plan.refresh_from_db()
    assert plan.status == "paused" and not StatusChange.objects.filter(care_plan=plan).exists()
    review = api.post(f"/api/v1/patients/{patient.pk}/red-flags/clear/",
                      {"outcome": "cleared", "note": "Fall from standing; no fracture on X-ray."}, format="json")
    assert review.status_code == 200, review.content
    assert api.post(f"/api/v1/care-plans/{plan.pk}/resume/", {}, format="json").status_code == 200
    assert api.post(f"/api/v1/care-plans/{plan.pk}/discharge/", {}, format="json").status_code == 200


@pytest.mark.parametrize("status", list(REFUSED))
def test_the_web_page_refuses_activation_with_the_reason(client, clinic, pt, status):
    plan = draft_for(clinic, pt, status)
    client.force_login(pt)
    response = client.post(reverse("web:transition_plan", args=[plan.pk, "activate"]), {"note": ""}, follow=True)
    assert REFUSED[status] in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == "draft" and not StatusChange.objects.filter(care_plan=plan).exists()


def test_the_web_page_activates_a_screened_patients_plan(client, clinic, pt):
    plan = draft_for(clinic, pt, RedFlagStatus.NONE)
    client.force_login(pt)
    client.post(reverse("web:transition_plan", args=[plan.pk, "activate"]), {"note": ""})
    plan.refresh_from_db()
    assert plan.status == "active"


def test_the_integration_account_cannot_activate(client_for, integration, clinic, pt):
    plan = draft_for(clinic, pt, RedFlagStatus.NONE)
    response = client_for(integration).post(f"/api/v1/care-plans/{plan.pk}/activate/", {}, format="json")
    assert response.status_code in (403, 404)
    plan.refresh_from_db()
    assert plan.status == "draft"
