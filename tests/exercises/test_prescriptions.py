import datetime as dt
import threading

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from exercises import services
from exercises.models import Exercise, Prescription, PrescriptionVersion
from exercises.selectors import prescriptions_as_of, version_state
from tests.factories import CarePlanFactory, UserFactory, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(patient, pt):
    return CarePlanFactory(patient=patient, lead_pt=pt, status="active",
                           start_date=today() - dt.timedelta(days=14))


@pytest.fixture
def bird_dog():
    return Exercise.objects.get(slug="bird-dog")


def test_prescribe_with_library_defaults(api, plan, bird_dog):
    response = api.post("/api/v1/prescriptions/", {"care_plan": plan.pk, "exercise": bird_dog.pk}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["sets"], body["reps"], body["hold_seconds"]) == (
        bird_dog.default_sets, bird_dog.default_reps, bird_dog.default_hold_seconds)
    assert body["times_per_week"] == 3 and body["version"] == 1 and body["status"] == "active"
    assert body["start_date"] == today().isoformat()  # later of today and the plan's start
    assert response["ETag"] == '"1"'


def test_back_dating_to_the_plan_start_but_not_before(api, plan, bird_dog):
    ok = api.post("/api/v1/prescriptions/", {"care_plan": plan.pk, "exercise": bird_dog.pk,
                                             "start_date": plan.start_date.isoformat()}, format="json")
    assert ok.status_code == 201
    early = api.post("/api/v1/prescriptions/", {"care_plan": plan.pk, "exercise": bird_dog.pk,
                                                "start_date": (plan.start_date - dt.timedelta(days=1)).isoformat()},
                     format="json")
    assert early.status_code == 400 and "start_date" in early.json()


def test_no_prescriptions_on_a_discharged_plan(api, plan, bird_dog):
    plan.status = "discharged"
    plan.save()
    response = api.post("/api/v1/prescriptions/", {"care_plan": plan.pk, "exercise": bird_dog.pk}, format="json")
    assert response.status_code == 409
    assert not Prescription.objects.exists()


def test_coaches_and_managers_read_but_do_not_prescribe(client_for, coach, manager, plan, bird_dog):
    for user in (coach, manager):
        client = client_for(user)
        assert client.post("/api/v1/prescriptions/", {"care_plan": plan.pk, "exercise": bird_dog.pk},
                           format="json").status_code == 403
        assert client.get("/api/v1/prescriptions/", {"care_plan": plan.pk}).status_code == 200


def modify(client, prescription_id, version, **body):
    headers = {} if version is None else {"HTTP_IF_MATCH": f'"{version}"'}
    return client.patch(f"/api/v1/prescriptions/{prescription_id}/", body, format="json", **headers)


def test_modifications_need_if_match_and_a_reason(api, plan, bird_dog, pt):
    prescription = services.prescription_create(actor=pt, care_plan=plan, exercise=bird_dog)
    assert modify(api, prescription.pk, None, sets=3, reason="dosage").status_code == 428
    assert modify(api, prescription.pk, 1, sets=3).status_code == 400
    assert modify(api, prescription.pk, 1, sets=3, reason="because").status_code == 400
    assert modify(api, prescription.pk, 1, sets=prescription.sets, reason="dosage").status_code == 400  # no-op
    more = prescription.sets + 1
    ok = modify(api, prescription.pk, 1, sets=more, reason="dosage", note="Tolerating well")
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok["ETag"] == '"2"'
    assert modify(api, prescription.pk, 1, sets=more + 1, reason="dosage").status_code == 412
    assert Prescription.objects.get(pk=prescription.pk).sets == more


def test_a_sequence_of_changes_replays_exactly(api, plan, bird_dog, pt):
    """Each point in time rebuilt from the history equals the state the API showed then."""
    progression = Exercise.objects.get(pk=bird_dog.progression_id)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    steps = [
        ({"times_per_week": 4, "reason": "dosage"}, 1),
        ({"exercise": progression.pk, "reps": 12, "reason": "progression", "note": "Easy now"}, 2),
        ({"exercise": bird_dog.pk, "reason": "regression", "note": "Pain with the harder version"}, 3),
        ({"side": "left", "load": "none", "hold_seconds": 5, "reason": "other"}, 4),
    ]
    snapshots = []
    with time_machine.travel(start, tick=False):
        prescription = services.prescription_create(actor=pt, care_plan=plan, exercise=bird_dog,
                                                    start_date=plan.start_date)
    snapshots.append((start, api.get(f"/api/v1/prescriptions/{prescription.pk}/").json()))
    for day, (body, version) in enumerate(steps, start=1):
        moment = start + dt.timedelta(days=day, hours=3)
        with time_machine.travel(moment, tick=False):
            response = modify(api, prescription.pk, version, **body)
            assert response.status_code == 200, response.content
        snapshots.append((moment, response.json()))
    with time_machine.travel(start + dt.timedelta(days=6), tick=False):
        api.post(f"/api/v1/prescriptions/{prescription.pk}/discontinue/", {"reason": "pain"}, format="json")
    snapshots.append((start + dt.timedelta(days=6), {"status": "discontinued", "version": 6}))

    fields = ["exercise", "sets", "reps", "hold_seconds", "times_per_week", "side", "load", "notes", "status"]
    for moment, shown in snapshots:
        for probe in (moment, moment + dt.timedelta(hours=1)):
            rebuilt = api.get(f"/api/v1/care-plans/{plan.pk}/prescriptions-as-of/", {"at": probe.isoformat()}).json()
            assert len(rebuilt) == 1
            assert rebuilt[0]["version"] == shown["version"]
            assert {f: rebuilt[0][f] for f in fields if f in shown} == {f: shown[f] for f in fields if f in shown}
    before = api.get(f"/api/v1/care-plans/{plan.pk}/prescriptions-as-of/",
                     {"at": (dt.datetime.combine(plan.start_date, dt.time.min, dt.UTC) - dt.timedelta(days=2))
                      .isoformat()}).json()
    assert before == []

    history = api.get(f"/api/v1/prescriptions/{prescription.pk}/history/").json()
    assert [h["version"] for h in history] == [1, 2, 3, 4, 5, 6]
    assert [h["reason"] for h in history] == ["prescribed", "dosage", "progression", "regression", "other", "pain"]
    assert history[1]["changes"] == {"times_per_week": [3, 4]}
    assert history[2]["changes"] == {"exercise": [bird_dog.pk, progression.pk], "reps": [bird_dog.default_reps, 12]}
    assert history[2]["note"] == "Easy now" and history[2]["changed_by"] == pt.pk
    assert history[5]["changes"] == {"status": ["active", "discontinued"]}
    # The history replays: applying every change in order gives the current state.
    state = {}
    for entry in history:
        for field, (old, new) in entry["changes"].items():
            assert state.get(field) == old
            state[field] = new
    assert state == version_state(PrescriptionVersion.objects.get(prescription=prescription, version=6))
    assert prescriptions_as_of(plan, dt.datetime.now(dt.UTC)).get().status == "discontinued"


def test_versions_are_append_only(plan, bird_dog, pt):
    services.prescription_create(actor=pt, care_plan=plan, exercise=bird_dog)
    for statement in ("UPDATE exercises_prescriptionversion SET sets = 9", "DELETE FROM exercises_prescriptionversion"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


def test_discontinued_prescriptions_do_not_change(api, plan, bird_dog, pt):
    prescription = services.prescription_create(actor=pt, care_plan=plan, exercise=bird_dog)
    assert api.post(f"/api/v1/prescriptions/{prescription.pk}/discontinue/", {"reason": "pain", "note": "Flare"},
                    format="json").status_code == 200
    assert modify(api, prescription.pk, 2, sets=1, reason="dosage").status_code == 409
    assert api.post(f"/api/v1/prescriptions/{prescription.pk}/discontinue/", {"reason": "pain"},
                    format="json").status_code == 409


def test_template_applies_all_or_nothing(api, client_for, manager, plan, bird_dog, clinic):
    side_plank = Exercise.objects.get(name="Side Plank")
    created = client_for(manager).post("/api/v1/templates/", {
        "name": "Low back — beginner",
        "items": [{"exercise": bird_dog.pk, "times_per_week": 4}, {"exercise": side_plank.pk, "hold_seconds": 20}],
    }, format="json")
    assert created.status_code == 201, created.content
    template_id = created.json()["id"]
    applied = api.post(f"/api/v1/templates/{template_id}/apply/", {"care_plan": plan.pk}, format="json")
    assert applied.status_code == 201, applied.content
    assert [(p["exercise"], p["times_per_week"]) for p in applied.json()] == [(bird_dog.pk, 4), (side_plank.pk, 3)]
    plan.status = "discharged"
    plan.save()
    assert api.post(f"/api/v1/templates/{template_id}/apply/", {"care_plan": plan.pk},
                    format="json").status_code == 409
    assert Prescription.objects.filter(care_plan=plan).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_patches_of_one_version(clinic):
    pt = UserFactory(clinic=clinic)
    plan = CarePlanFactory(patient__clinic=clinic, lead_pt=pt, status="active")
    prescription = services.prescription_create(actor=pt, care_plan=plan, exercise=Exercise.objects.get(
        slug="bird-dog"))
    barrier, results = threading.Barrier(2), {}

    def change(sets):
        client = APIClient()
        client.force_authenticate(pt)
        barrier.wait()
        try:
            results[sets] = modify(client, prescription.pk, 1, sets=sets, reason="dosage").status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(sets,)) for sets in (6, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [200, 412]
    winner = next(sets for sets, code in results.items() if code == 200)
    stored = Prescription.objects.get(pk=prescription.pk)
    assert (stored.sets, stored.version) == (winner, 2)
    assert PrescriptionVersion.objects.filter(prescription=prescription).count() == 2
