import datetime as dt

import pytest

from core.models import AuditEvent
from patients.models import Alert, Patient, RedFlagStatus
from tests.factories import today

pytestmark = pytest.mark.django_db

INTAKE = {
    "first_name": "Maria",
    "last_name": "Lopez",
    "date_of_birth": "1980-03-02",
    "sex": "female",
    "email": "maria@example.org",
    "phone": "+1 555 010 0100",
    "timezone": "America/Chicago",
    "reminder_channel": "email",
    "pain_region": "low_back",
    "pain_onset_date": (today() - dt.timedelta(days=20)).isoformat(),
    "symptoms": ["pain_sitting", "morning_stiffness"],
    "red_flags": [],
    "screened": True,
}


def test_pt_registers_patient_in_own_clinic(api, pt):
    response = api.post("/api/v1/patients/", INTAKE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["clinic"] == pt.clinic_id
    assert body["episode_type"] == "acute"
    assert body["red_flag_status"] == "none"
    assert body["active_care_plan"] is None
    assert AuditEvent.objects.filter(table_name="patients_patient", action="create", actor_id=pt.pk).exists()


def test_staff_naming_their_own_clinic_still_register_there(api, pt, other_clinic):
    own = api.post("/api/v1/patients/", {**INTAKE, "clinic": pt.clinic_id}, format="json")
    assert own.status_code == 201, own.content
    assert own.json()["clinic"] == pt.clinic_id
    other = api.post("/api/v1/patients/", {**INTAKE, "clinic": other_clinic.pk}, format="json")
    assert other.status_code == 400 and "clinic" in other.json()


@pytest.mark.parametrize("weird_id", ["²", "١٢", "1e3", " 7", True, 3.0])
def test_related_ids_that_are_not_plain_numbers_are_400(api, weird_id):
    response = api.post("/api/v1/patients/", {**INTAKE, "coach": weird_id}, format="json")
    assert response.status_code == 400 and "coach" in response.json()
    assert not Patient.objects.exists()


def test_red_flags_make_status_positive_and_open_alert(api):
    response = api.post("/api/v1/patients/", {**INTAKE, "red_flags": ["saddle_anaesthesia"]}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["red_flag_status"] == "positive"
    writes = AuditEvent.objects.filter(table_name="patients_patient", object_id=response.json()["id"])
    assert list(writes.exclude(action="read").values_list("action", flat=True)) == ["create"]  # one write
    alert = Alert.objects.get(patient_id=response.json()["id"])
    assert alert.severity == Alert.Severity.EMERGENCY
    assert "cauda equina" in alert.message


def test_bad_intake_is_400_with_field_errors_and_writes_nothing(api):
    response = api.post(
        "/api/v1/patients/",
        {**INTAKE, "timezone": "Mars/Olympus", "red_flags": ["nonsense"], "first_name": "A\x00B"},
        format="json",
    )
    assert response.status_code == 400
    assert {"timezone", "red_flags", "first_name"} <= set(response.json())
    assert not Patient.objects.exists()


def test_clear_red_flags(api, patient):
    patient.red_flags = ["history_of_cancer"]
    patient.red_flag_status = RedFlagStatus.POSITIVE
    patient.save()
    url = f"/api/v1/patients/{patient.pk}/red-flags/clear/"
    assert api.post(url, {"outcome": "cleared"}, format="json").status_code == 400
    response = api.post(url, {"outcome": "cleared", "note": "Oncology history remote; imaging clear."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["red_flag_status"] == "cleared"
    assert api.post(url, {"outcome": "cleared", "note": "again"}, format="json").status_code == 409
