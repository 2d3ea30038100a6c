import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from exercises import services
from exercises.models import Exercise, ExerciseSession
from tests.factories import CarePlanFactory, PatientFactory, today

pytestmark = pytest.mark.django_db

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def prescription(patient, pt):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=today() - dt.timedelta(30))
    return services.prescription_create(actor=pt, care_plan=plan, exercise=Exercise.objects.get(slug="bird-dog"),
                                        start_date=plan.start_date)


def body(prescription, **extra):
    return {"patient": prescription.care_plan.patient_id, "performed_at": (NOW - dt.timedelta(hours=2)).isoformat(),
            "prescriptions": [prescription.pk], "duration_minutes": 25, "pain_during": 3, **extra}


def test_the_patient_app_posts_a_session(client_for, integration, prescription):
    client = client_for(integration)
    response = client.post("/api/v1/exercise-sessions/", body(prescription, external_id="app-123"), format="json")
    assert response.status_code == 201, response.content
    session = response.json()
    assert session["source"] == "patient_app" and session["care_plan"] == prescription.care_plan_id
    again = client.post("/api/v1/exercise-sessions/", body(prescription, external_id="app-123"), format="json")
    assert again.status_code == 200 and again.json()["id"] == session["id"]  # a retry is not a second session
    assert ExerciseSession.objects.count() == 1
    assert client.get("/api/v1/exercise-sessions/").status_code == 403  # the integration reads nothing


@pytest.mark.parametrize("change", [{"pain_during": 7}, {"duration_minutes": 40},
                                    {"performed_at": (NOW - dt.timedelta(hours=5)).isoformat()}])
def test_a_resent_external_id_with_other_content_is_409_with_the_stored_id(client_for, integration, prescription,
                                                                           change):
    """Clinical-reference §1 (v2), resent submissions: nothing written, the stored row named."""
    client = client_for(integration)
    stored = client.post("/api/v1/exercise-sessions/", body(prescription, external_id="app-7"), format="json").json()
    response = client.post("/api/v1/exercise-sessions/", body(prescription, external_id="app-7", **change),
                           format="json")
    assert response.status_code == 409 and response.json()["id"] == stored["id"]
    assert list(ExerciseSession.objects.values_list("pain_during", "duration_minutes")) == [(3, 25)]


@pytest.mark.parametrize(("change", "field"), [
    ({"performed_at": (NOW + dt.timedelta(hours=1)).isoformat()}, "performed_at"),
    ({"pain_during": 11}, "pain_during"),
    ({"pain_during": -1}, "pain_during"),
    ({"prescriptions": []}, "prescriptions"),
    ({"duration_minutes": 0}, "duration_minutes"),
])
def test_invalid_sessions_are_refused(api, prescription, change, field):
    response = api.post("/api/v1/exercise-sessions/", body(prescription, **change), format="json")
    assert response.status_code == 400 and field in response.json()
    assert not ExerciseSession.objects.exists()


def test_prescriptions_must_belong_to_the_patients_plan(api, clinic, prescription):
    other = PatientFactory(clinic=clinic)
    response = api.post("/api/v1/exercise-sessions/", body(prescription, patient=other.pk), format="json")
    assert response.status_code == 400 and "prescriptions" in response.json()
    assert not ExerciseSession.objects.exists()


def test_a_correction_supersedes_without_editing(api, prescription):
    original = api.post("/api/v1/exercise-sessions/", body(prescription), format="json").json()
    corrected = api.post(f"/api/v1/exercise-sessions/{original['id']}/supersede/",
                         {**body(prescription, pain_during=6), "reason": "Patient misreported pain"}, format="json")
    assert corrected.status_code == 201, corrected.content
    assert corrected.json()["supersedes"] == original["id"]
    listed = api.get("/api/v1/exercise-sessions/", {"patient": prescription.care_plan.patient_id}).json()["results"]
    assert [row["id"] for row in listed] == [corrected.json()["id"]]
    everything = api.get("/api/v1/exercise-sessions/", {"include_superseded": "true"}).json()["results"]
    assert {row["id"] for row in everything} == {original["id"], corrected.json()["id"]}
    for unclear in ("", "false", "0"):  # only an explicit yes shows corrected rows
        shown = api.get("/api/v1/exercise-sessions/", {"include_superseded": unclear}).json()["results"]
        assert [row["id"] for row in shown] == [corrected.json()["id"]], unclear
    assert api.get(f"/api/v1/exercise-sessions/{original['id']}/").status_code == 200
    stored = ExerciseSession.objects.get(pk=original["id"])
    assert stored.pain_during == 3 and stored.superseded_at is not None
    again = api.post(f"/api/v1/exercise-sessions/{original['id']}/supersede/",
                     {**body(prescription), "reason": "again"}, format="json")
    assert again.status_code == 409


@pytest.mark.parametrize("statement", [
    "UPDATE exercises_exercisesession SET pain_during = 9",
    "UPDATE exercises_exercisesession SET superseded_at = now() WHERE superseded_at IS NOT NULL",
    "DELETE FROM exercises_exercisesession",
])
def test_the_database_keeps_sessions_append_only(api, prescription, statement):
    session = api.post("/api/v1/exercise-sessions/", body(prescription), format="json").json()
    api.post(f"/api/v1/exercise-sessions/{session['id']}/supersede/", {**body(prescription), "reason": "fix"},
             format="json")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


def test_adherence_endpoint_and_patient_list(api, prescription):
    for days_ago in (1, 2, 3):
        api.post("/api/v1/exercise-sessions/", body(prescription, performed_at=(
            NOW - dt.timedelta(days=days_ago)).isoformat()), format="json")
    plan = prescription.care_plan
    adherence = api.get(f"/api/v1/care-plans/{plan.pk}/adherence/").json()
    assert [w["week"] for w in adherence["weeks"]] == [1, 2, 3, 4, 5]
    assert all(w["target"] == 3 for w in adherence["weeks"])
    assert adherence["plan_adherence"] == api.get(f"/api/v1/care-plans/{plan.pk}/").json()["adherence"]
    patients = api.get("/api/v1/patients/", {"ordering": "adherence"}).json()["results"]
    assert patients[0]["adherence"] == adherence["plan_adherence"]
    below = api.get("/api/v1/patients/", {"adherence_below": 1}).json()["results"]
    assert [p["id"] for p in below] == ([plan.patient_id] if adherence["plan_adherence"] < 1 else [])
