"""A patient without an e-mail address answers `"email": null` (the schema says `format: email`,
which "" is not); null and "" in input both mean "no address"."""

import pytest

from patients.models import Patient
from tests.factories import PatientFactory
from tests.patients.test_api import INTAKE

pytestmark = pytest.mark.django_db


def test_a_patient_without_email_answers_null(api, clinic):
    patient = PatientFactory(clinic=clinic, email="")
    assert api.get(f"/api/v1/patients/{patient.pk}/").json()["email"] is None
    listed = {row["id"]: row for row in api.get("/api/v1/patients/").json()["results"]}
    assert listed[patient.pk]["email"] is None


@pytest.mark.parametrize("missing", [None, ""])
def test_registering_without_email_stores_none_and_answers_null(api, missing):
    response = api.post("/api/v1/patients/", {**INTAKE, "email": missing, "reminder_channel": "sms"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["email"] is None
    assert Patient.objects.get().email == ""


def test_an_address_is_answered_as_given_and_a_bad_one_is_400(api):
    assert api.post("/api/v1/patients/", INTAKE, format="json").json()["email"] == INTAKE["email"]
    response = api.post("/api/v1/patients/", {**INTAKE, "email": "not-an-address"}, format="json")
    assert response.status_code == 400 and "email" in response.json()


def test_clearing_an_email_with_null(api, patient):
    response = api.patch(f"/api/v1/patients/{patient.pk}/", {"email": None, "reminder_channel": "none"},
                         format="json")
    assert response.status_code == 200, response.content
    assert response.json()["email"] is None
    patient.refresh_from_db()
    assert patient.email == ""
