"""The explicit red-flag screen in the workspace (clinical-reference §2, v2): the intake asks "Red-flag
screen completed?" with no answer preselected, the flags are grouped by the condition they point to, a
not-screened patient says so on the list and the record, and the record completes the screen."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from patients.models import Alert, Patient, RedFlagStatus
from tests.test_permission_matrix import _row_counts
from tests.web.test_page_matrix import intake
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _new(client, side, **changes):
    return client.post(reverse("web:patient_new"), intake(side, last_name="Screened", **changes))


def test_the_question_has_no_preselected_answer_and_the_flags_are_grouped_by_condition(client, world):
    client.force_login(world.own.pt)
    page = client.get(reverse("web:patient_new")).content.decode()
    assert "Red-flag screen completed?" in page
    radios = re.findall(r'<input type="radio" name="red_flag_screened"[^>]*>', page)
    assert len(radios) == 2 and not any("checked" in radio for radio in radios)
    groups = ["Cauda equina syndrome", "Vascular (abdominal aortic aneurysm)", "Fracture", "Cancer", "Infection"]
    positions = [page.index(group) for group in groups]
    assert positions == sorted(positions)
    assert "Bowel incontinence or loss of anal sensation" in page and "History of tuberculosis" in page
    assert "fever_chills_weight_loss" not in page  # the pre-v2 combined item is not asked any more


def test_no_answer_is_a_400_on_the_question_and_writes_nothing(client, world):
    client.force_login(world.own.pt)
    before = _row_counts()
    response = _new(client, world.own, red_flag_screened=None)
    assert response.status_code == 400
    assert "red_flag_screened" in response.context["form"].errors
    assert _row_counts() == before


@pytest.mark.parametrize(("answer", "flags", "status"), [
    ("yes", [], "none"),
    ("no", [], "not_screened"),
    ("no", ["known_osteoporosis"], "positive"),  # a ticked flag is a positive screen, whatever the answer
    ("yes", ["pulsatile_abdominal_mass"], "positive"),
])
def test_the_answer_sets_the_status(client, world, answer, flags, status):
    client.force_login(world.own.pt)
    response = _new(client, world.own, red_flag_screened=answer, red_flags=flags)
    assert response.status_code == 302
    patient = Patient.objects.get(last_name="Screened")
    assert patient.red_flag_status == status
    assert (patient.red_flag_screened_by == world.own.pt) is (status != "not_screened")
    assert patient.alerts.exists() is bool(flags)


def test_registering_without_a_screen_says_what_is_left_to_do(client, world):
    client.force_login(world.own.pt)
    response = _new(client, world.own, red_flag_screened="no")
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert "The red-flag screen is not completed" in said[0]


def test_a_vascular_flag_opens_an_emergency_alert(client, world):
    client.force_login(world.own.pt)
    _new(client, world.own, red_flag_screened="yes", red_flags=["pulsatile_abdominal_mass"])
    alert = Patient.objects.get(last_name="Screened").alerts.get()
    assert alert.severity == Alert.Severity.EMERGENCY and "same-day emergency assessment" in alert.message


def test_editing_the_intake_does_not_ask_the_question_again(client, world):
    client.force_login(world.own.pt)
    form = client.get(reverse("web:patient_intake", args=[world.own.unscreened_patient.pk])).context["form"]
    assert "red_flag_screened" not in form.fields


def test_an_older_flag_on_record_is_kept_by_an_edit(client, world):
    side = world.own
    patient = side.flagged_patient
    Patient.objects.filter(pk=patient.pk).update(red_flags=["fever_chills_weight_loss"])
    patient.refresh_from_db()
    side.patient = patient
    client.force_login(side.pt)
    response = client.post(reverse("web:patient_intake", args=[patient.pk]), intake(side, phone="+1 555 010 0111"))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.red_flags == ["fever_chills_weight_loss"]


def test_the_list_and_the_record_say_not_screened(client, world):
    unscreened = world.own.unscreened_patient
    client.force_login(world.own.coach)
    listing = client.get(reverse("web:patients")).content.decode()
    assert '<span class="badge warn">Not screened</span>' in listing
    record = client.get(reverse("web:patient", args=[unscreened.pk])).content.decode()
    assert "Not screened" in record and "a care plan cannot be activated" in record
    assert "Complete the red-flag screen" not in record  # a coach cannot complete it


def screen(client, patient, **body):
    return client.post(reverse("web:screen_red_flags", args=[patient.pk]), body)


def test_a_pt_completes_the_screen_on_the_record(client, world):
    unscreened = world.own.unscreened_patient
    client.force_login(world.own.pt)
    assert "Complete the red-flag screen" in client.get(reverse("web:patient", args=[unscreened.pk])).content.decode()
    response = screen(client, unscreened, completed="on")
    assert response.status_code == 302
    unscreened.refresh_from_db()
    assert unscreened.red_flag_status == "none" and unscreened.red_flag_screened_by == world.own.pt


def test_a_screen_with_flags_is_positive_with_its_alert(client, world):
    unscreened = world.own.unscreened_patient
    client.force_login(world.own.pt)
    screen(client, unscreened, completed="on", red_flags=["history_of_tuberculosis", "fever_or_chills"])
    unscreened.refresh_from_db()
    assert unscreened.red_flag_status == "positive"
    assert unscreened.alerts.get().severity == Alert.Severity.URGENT


def test_a_screen_not_confirmed_is_a_400_and_writes_nothing(client, world):
    unscreened = world.own.unscreened_patient
    client.force_login(world.own.pt)
    before = _row_counts()
    response = screen(client, unscreened, red_flags=["major_trauma"])
    assert response.status_code == 400 and "completed" in response.context["forms"]["screen"].errors
    assert _row_counts() == before


def test_a_screen_already_completed_is_refused_on_the_form(client, world):
    client.force_login(world.own.pt)
    before = _row_counts()
    response = screen(client, world.own.patient, completed="on", red_flags=["major_trauma"])
    assert response.status_code == 400 and "already completed" in response.content.decode()
    assert _row_counts() == before


@pytest.mark.parametrize("role", ["coach", "manager"])
def test_only_a_pt_completes_the_screen_on_the_record(client, world, role):
    client.force_login(world.own.user(role))
    assert screen(client, world.own.unscreened_patient, completed="on").status_code == 403
    world.own.unscreened_patient.refresh_from_db()
    assert world.own.unscreened_patient.red_flag_status == RedFlagStatus.NOT_SCREENED


def test_another_clinics_patient_is_404_on_the_record(client, world):
    client.force_login(world.own.pt)
    assert screen(client, world.other.unscreened_patient, completed="on").status_code == 404
    world.other.unscreened_patient.refresh_from_db()
    assert world.other.unscreened_patient.red_flag_status == RedFlagStatus.NOT_SCREENED
