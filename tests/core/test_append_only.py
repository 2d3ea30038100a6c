"""Append-only clinical facts corrected one way (core.resend.supersede): sessions and assessments alike
refuse a correction without a reason (400, nothing written) and a second correction of one row (409)."""

import datetime as dt

import pytest

from exercises import services as exercise_services
from exercises.models import Exercise, ExerciseSession
from outcomes.models import Assessment
from tests.factories import CarePlanFactory, today

pytestmark = pytest.mark.django_db

AT = dt.datetime.combine(today() - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC).isoformat()


def session(patient, pt):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=today() - dt.timedelta(30))
    prescription = exercise_services.prescription_create(
        actor=pt, care_plan=plan, exercise=Exercise.objects.get(slug="bird-dog"), start_date=plan.start_date)
    body = {"patient": patient.pk, "performed_at": AT, "prescriptions": [prescription.pk], "pain_during": 3}
    return "exercise-sessions", ExerciseSession, body


def assessment(patient, pt):
    return "assessments", Assessment, {"patient": patient.pk, "instrument": "nprs", "answers": [5], "collected_at": AT}


@pytest.mark.parametrize("fact", [session, assessment])
def test_a_correction_needs_a_reason_and_happens_once(api, patient, pt, fact):
    resource, model, body = fact(patient, pt)
    stored = api.post(f"/api/v1/{resource}/", body, format="json")
    assert stored.status_code == 201, stored.content
    supersede = f"/api/v1/{resource}/{stored.json()['id']}/supersede/"

    unexplained = api.post(supersede, {**body, "reason": "   "}, format="json")
    assert unexplained.status_code == 400 and "reason" in unexplained.json()
    assert model.objects.count() == 1

    assert api.post(supersede, {**body, "reason": "Typed on the wrong day"}, format="json").status_code == 201
    again = api.post(supersede, {**body, "reason": "Second thoughts"}, format="json")
    assert again.status_code == 409 and "already corrected" in str(again.json())
    assert model.objects.count() == 2
