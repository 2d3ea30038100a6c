import pytest

from patients.selectors import patients_visible_to
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_staff_see_their_clinic_only(pt, manager, patient, outsider_patient, outsider_pt):
    assert list(patients_visible_to(pt)) == [patient]
    assert list(patients_visible_to(manager)) == [patient]
    assert list(patients_visible_to(outsider_pt)) == [outsider_patient]


def test_restrict_to_care_team_narrows_pts_and_coaches_not_managers(clinic, pt, other_pt, coach, manager, client_for):
    mine = PatientFactory(clinic=clinic, primary_pt=pt)
    coached = PatientFactory(clinic=clinic, coach=coach)
    theirs = PatientFactory(clinic=clinic, primary_pt=other_pt)
    clinic.restrict_to_care_team = True
    clinic.save()
    assert set(patients_visible_to(pt)) == {mine}
    assert set(patients_visible_to(coach)) == {coached}
    assert set(patients_visible_to(manager)) == {mine, coached, theirs}
    assert client_for(pt).get(f"/api/v1/patients/{theirs.pk}/").status_code == 404
    assert client_for(pt).get(f"/api/v1/patients/{mine.pk}/").status_code == 200


def test_search_and_filters(api, clinic, pt, coach):
    PatientFactory(clinic=clinic, first_name="Ana", last_name="Silva", email="ana@example.org", coach=coach)
    PatientFactory(clinic=clinic, first_name="Bo", last_name="Silvers", email="bo@example.org")
    names = lambda params: sorted(p["first_name"] for p in api.get("/api/v1/patients/", params).json()["results"])  # noqa: E731
    assert names({"search": "silv"}) == ["Ana", "Bo"]
    assert names({"search": "ana silva"}) == ["Ana"]
    assert names({"search": "BO@EXAMPLE"}) == ["Bo"]
    assert names({"coach": coach.pk}) == ["Ana"]
    assert api.get("/api/v1/patients/", {"coach": "99999999999999999999999"}).status_code == 400
    assert api.get("/api/v1/patients/", {"search": "a\x00b"}).status_code == 400
