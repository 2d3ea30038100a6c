"""The explicit red-flag screen (clinical-reference §2, v2) through the API: `not_screened` unless the
screen is completed, completing it later, the v2 flags and their classes, and emergency alerts."""

import pytest

from core import outbox
from core.models import AuditEvent
from patients.models import Alert, Patient, RedFlagStatus
from tests.factories import PatientFactory
from tests.patients.test_api import INTAKE

pytestmark = pytest.mark.django_db

OLD_CLIENT = {name: value for name, value in INTAKE.items() if name != "screened"}


def register(api, **changes):
    response = api.post("/api/v1/patients/", {**OLD_CLIENT, **changes}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_an_old_client_registers_a_not_screened_patient(api):
    body = register(api)
    assert body["red_flag_status"] == "not_screened"
    assert body["red_flag_screened_by"] is None and body["red_flag_screened_at"] is None
    assert not Alert.objects.exists()


def test_screened_false_is_not_screened(api):
    assert register(api, screened=False)["red_flag_status"] == "not_screened"


def test_screened_true_with_no_flag_is_none_and_says_who_screened(api, pt):
    body = register(api, screened=True)
    assert body["red_flag_status"] == "none"
    assert body["red_flag_screened_by"] == pt.pk and body["red_flag_screened_at"] is not None


@pytest.mark.parametrize("screened", [True, False, None])
def test_a_ticked_flag_is_a_positive_screen_whatever_screened_says(api, pt, screened):
    extra = {} if screened is None else {"screened": screened}
    body = register(api, red_flags=["known_osteoporosis"], **extra)
    assert body["red_flag_status"] == "positive"
    assert body["red_flag_screened_by"] == pt.pk
    alert = Alert.objects.get(patient_id=body["id"])
    assert alert.severity == Alert.Severity.URGENT and alert.kind == Alert.Kind.RED_FLAG
    assert "Fracture" in alert.message


@pytest.mark.parametrize(("flag", "condition"), [
    ("pulsatile_abdominal_mass", "abdominal aortic aneurysm"),
    ("bowel_dysfunction", "cauda equina"), ("sexual_dysfunction", "cauda equina"),
    ("bilateral_leg_symptoms", "cauda equina"), ("saddle_anaesthesia", "cauda equina"),
])
def test_an_emergency_class_opens_an_emergency_alert_that_says_what_to_arrange(api, flag, condition):
    body = register(api, red_flags=[flag, "history_of_tuberculosis"], screened=True)
    alert = Alert.objects.get(patient_id=body["id"])
    assert alert.severity == Alert.Severity.EMERGENCY
    assert condition in alert.message and "same-day emergency assessment" in alert.message


@pytest.mark.parametrize(("flags", "categories"), [
    (["fever_chills_weight_loss"], ["cancer", "infection"]),  # the pre-v2 combined item: both conditions
    (["history_of_cancer", "infection_risk"], ["cancer", "infection"]),
    (["unexplained_weight_loss", "thoracic_pain"], ["cancer"]),
    (["structural_deformity", "saddle_anaesthesia"], ["cauda_equina", "fracture"]),
])
def test_categories_are_the_v2_classes_and_old_codes_stay_valid(api, flags, categories):
    body = register(api, red_flags=flags, screened=True)
    assert body["red_flag_categories"] == categories


def test_a_stored_pre_v2_code_still_reads(api, patient):
    Patient.objects.filter(pk=patient.pk).update(red_flags=["fever_chills_weight_loss"],
                                                 red_flag_status=RedFlagStatus.POSITIVE)
    body = api.get(f"/api/v1/patients/{patient.pk}/").json()
    assert body["red_flag_categories"] == ["cancer", "infection"]


@pytest.fixture
def unscreened(clinic, pt, coach):
    return PatientFactory(clinic=clinic, primary_pt=pt, coach=coach, red_flag_status=RedFlagStatus.NOT_SCREENED)


def screen_url(patient):
    return f"/api/v1/patients/{patient.pk}/red-flags/screen/"


def test_completing_the_screen_with_no_flag_makes_it_none(api, pt, unscreened):
    response = api.post(screen_url(unscreened), {"red_flags": []}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["red_flag_status"] == "none" and response.json()["red_flag_screened_by"] == pt.pk
    assert not Alert.objects.exists()
    audit = AuditEvent.objects.filter(table_name="patients_patient", object_id=unscreened.pk, action="update")
    assert audit.filter(actor_id=pt.pk).exists()


def test_completing_the_screen_with_a_flag_makes_it_positive_with_its_alert(api, unscreened, mailoutbox, pt, coach):
    response = api.post(screen_url(unscreened), {"red_flags": ["bladder_dysfunction"]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["red_flag_status"] == "positive"
    alert = Alert.objects.get(patient=unscreened)
    assert alert.severity == Alert.Severity.EMERGENCY
    outbox.drain()
    assert sorted(mailoutbox[0].to) == sorted([pt.email, coach.email])


def test_a_screen_once_completed_is_409_and_writes_nothing(api, patient):
    writes = AuditEvent.objects.exclude(action="read").count()
    response = api.post(screen_url(patient), {"red_flags": ["major_trauma"]}, format="json")
    assert response.status_code == 409 and "already completed" in str(response.json())
    patient.refresh_from_db()
    assert patient.red_flag_status == "none" and patient.red_flags == []
    assert AuditEvent.objects.exclude(action="read").count() == writes and not Alert.objects.exists()


@pytest.mark.parametrize("body", [{}, {"red_flags": ["nonsense"]}, {"red_flags": "major_trauma"}])
def test_a_bad_screen_is_400_and_writes_nothing(api, unscreened, body):
    response = api.post(screen_url(unscreened), body, format="json")
    assert response.status_code == 400 and "red_flags" in response.json()
    unscreened.refresh_from_db()
    assert unscreened.red_flag_status == "not_screened"


@pytest.mark.parametrize("role", ["coach", "manager", "integration"])
def test_only_a_pt_completes_a_screen(client_for, request, unscreened, role):
    response = client_for(request.getfixturevalue(role)).post(screen_url(unscreened), {"red_flags": []},
                                                              format="json")
    assert response.status_code == 403
    unscreened.refresh_from_db()
    assert unscreened.red_flag_status == "not_screened"


def test_another_clinics_patient_is_404(api, other_clinic):
    elsewhere = PatientFactory(clinic=other_clinic, red_flag_status=RedFlagStatus.NOT_SCREENED)
    assert api.post(screen_url(elsewhere), {"red_flags": []}, format="json").status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.red_flag_status == "not_screened"


def test_an_update_can_complete_the_screen_but_never_undo_it(api, unscreened, patient):
    url = f"/api/v1/patients/{unscreened.pk}/"
    assert api.patch(url, {"phone": "+1 555 010 0199"}, format="json").json()["red_flag_status"] == "not_screened"
    assert api.patch(url, {"screened": True}, format="json").json()["red_flag_status"] == "none"
    assert api.patch(f"/api/v1/patients/{patient.pk}/", {"screened": False},
                     format="json").json()["red_flag_status"] == "none"


def test_a_flag_added_to_a_not_screened_patient_is_a_positive_screen(api, pt, unscreened):
    body = api.patch(f"/api/v1/patients/{unscreened.pk}/", {"red_flags": ["thoracic_pain"]}, format="json").json()
    assert body["red_flag_status"] == "positive" and body["red_flag_screened_by"] == pt.pk
    assert Alert.objects.get(patient=unscreened).severity == Alert.Severity.URGENT


def test_the_list_filters_not_screened_patients(api, unscreened, patient):
    rows = api.get("/api/v1/patients/", {"red_flag_status": "not_screened"}).json()["results"]
    assert [row["id"] for row in rows] == [unscreened.pk]
