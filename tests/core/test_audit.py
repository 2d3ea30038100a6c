import pytest
from django.db import DatabaseError, connection, transaction

from core.audit import audit_context
from core.models import AuditEvent
from patients.models import Patient
from tests.factories import PatientFactory, today

pytestmark = pytest.mark.django_db


def events(**filters):
    return AuditEvent.objects.filter(**filters).order_by("id")


def test_queryset_update_is_recorded_with_actor_and_request(patient, pt):
    with audit_context(actor=pt, request_id="req-update-1"):
        Patient.objects.filter(pk=patient.pk).update(phone="+1 555 0199")
    event = events(table_name="patients_patient", action="update").get()
    assert event.changes == {"phone": ["", "+1 555 0199"]}
    assert (event.actor_id, event.actor_role, event.request_id) == (pt.pk, "pt", "req-update-1")
    assert (event.patient_id, event.clinic_id) == (patient.pk, patient.clinic_id)


def test_bulk_create_and_delete_are_recorded(clinic):
    patients = Patient.objects.bulk_create(PatientFactory.build_batch(3, clinic=clinic))
    assert events(table_name="patients_patient", action="create").count() == 3
    Patient.objects.filter(pk__in=[p.pk for p in patients]).delete()
    deleted = events(table_name="patients_patient", action="delete")
    assert sorted(deleted.values_list("object_id", flat=True)) == sorted(p.pk for p in patients)
    assert all(e.clinic_id == clinic.pk and e.actor_id is None for e in deleted)


def test_writes_outside_any_context_are_the_systems(patient, pt):
    with audit_context(actor=pt):
        Patient.objects.filter(pk=patient.pk).update(phone="+1 555 0101")
    Patient.objects.filter(pk=patient.pk).update(phone="+1 555 0102")
    first, second = events(action="update", table_name="patients_patient")
    assert first.actor_id == pt.pk
    assert second.actor_id is None and second.actor_role == ""


def test_passwords_never_reach_the_trail(pt):
    pt.set_password("another-long-password")
    pt.save()
    assert all("password" not in (event.changes or {}) for event in events(table_name="accounts_user"))


@pytest.mark.parametrize("statement", [
    "UPDATE core_auditevent SET actor_id = 1",
    "DELETE FROM core_auditevent",
])
def test_database_refuses_to_change_the_trail(patient, statement):
    assert AuditEvent.objects.exists()
    with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


def test_api_reads_are_recorded(api, patient, pt):
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    assert api.get("/api/v1/patients/").status_code == 200
    reads = events(action="read", table_name="patients_patient", patient_id=patient.pk)
    assert reads.count() == 2
    assert {e.actor_id for e in reads} == {pt.pk}


def test_detail_actions_and_the_reassessment_list_are_recorded_reads(api, patient, pt):

    from tests.factories import CarePlanFactory, GoalFactory

    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=today())
    GoalFactory(care_plan=plan)
    for path in (f"care-plans/{plan.pk}/adherence/", f"care-plans/{plan.pk}/prescriptions-as-of/?at=2026-01-01T00:00Z",
                 "reassessments/"):
        assert api.get(f"/api/v1/{path}").status_code == 200, path
    reads = events(action="read", table_name="careplans_careplan", object_id=plan.pk, patient_id=patient.pk)
    assert reads.count() == 3 and {e.clinic_id for e in reads} == {patient.clinic_id}  # one per response
    assert api.patch(f"/api/v1/care-plans/{plan.pk}/", {"payer": "X"}, format="json").status_code == 428
    assert reads.count() == 3  # a refused write is no read


def test_api_write_is_attributed_to_the_token_user(client, patient, pt):
    from tests.factories import PASSWORD

    token = client.post("/api/v1/auth/token/", {"email": pt.email, "password": PASSWORD},
                        content_type="application/json").json()["token"]
    response = client.post(f"/api/v1/patients/{patient.pk}/reminder-opt-out/", HTTP_AUTHORIZATION=f"Token {token}",
                           HTTP_X_REQUEST_ID="client-req-0001")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "client-req-0001"
    event = events(table_name="patients_patient", action="update").last()
    assert (event.actor_id, event.request_id) == (pt.pk, "client-req-0001")
    assert event.changes["reminders_opted_out"] == [False, True]


def test_manager_reads_trail_filtered_by_patient_and_user(client_for, manager, patient, pt, outsider_patient):
    with audit_context(actor=pt):
        Patient.objects.filter(pk__in=[patient.pk, outsider_patient.pk]).update(phone="+1 555 0100")
    response = client_for(manager).get("/api/v1/audit-events/", {"patient": patient.pk, "user": pt.pk})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows and all(r["patient_id"] == patient.pk and r["actor_id"] == pt.pk for r in rows)
    everything = client_for(manager).get("/api/v1/audit-events/").json()["results"]
    assert outsider_patient.pk not in {r["patient_id"] for r in everything}


def test_executemany_writes_are_attributed_too(pt, clinic):
    with audit_context(actor=pt, request_id="bulk-1"), connection.cursor() as cursor:
        cursor.executemany("UPDATE accounts_clinic SET reminder_after_days = %s WHERE id = %s",
                           [(3, clinic.pk), (4, clinic.pk)])
    updates = events(table_name="accounts_clinic", action="update")
    assert [(e.actor_id, e.request_id) for e in updates] == [(pt.pk, "bulk-1")] * 2
