"""Registering a patient and editing the intake in the PT's workspace: the same rules as the API
(patients.services), field errors on the form with what was typed kept, nothing written on a refusal."""

import datetime as dt

import pytest
from django.urls import reverse

from patients.models import Alert, Patient
from tests.factories import today
from tests.test_permission_matrix import _row_counts
from tests.web.test_page_matrix import intake
from tests.world import build_world

pytestmark = pytest.mark.django_db
TODAY = today()


@pytest.fixture
def world():
    return build_world()


def _new(client, side, **changes):
    return client.post(reverse("web:patient_new"), intake(side, **changes))


def test_a_pt_registers_a_patient_in_their_clinic(client, world):
    client.force_login(world.own.pt)
    response = _new(client, world.own, first_name="Nora", last_name="Quist", email="nora@example.org",
                    symptoms=["pain_bending", "pain_sitting"])
    patient = Patient.objects.get(last_name="Quist")
    assert response.status_code == 302 and response["Location"] == reverse("web:patient", args=[patient.pk])
    assert (patient.clinic, patient.created_by, patient.primary_pt) == (world.own.clinic, world.own.pt, world.own.pt)
    assert patient.symptoms == ["pain_bending", "pain_sitting"]
    assert patient.red_flag_status == "none"


def test_a_red_flag_at_intake_makes_the_status_positive_and_alerts(client, world):
    client.force_login(world.own.pt)
    _new(client, world.own, last_name="Flagged", red_flags=["saddle_anaesthesia"])
    patient = Patient.objects.get(last_name="Flagged")
    assert patient.red_flag_status == "positive"
    assert patient.alerts.get().severity == Alert.Severity.EMERGENCY


def test_the_form_starts_with_the_clinics_time_zone_and_the_pt_on_the_team(client, world):
    client.force_login(world.own.pt)
    form = client.get(reverse("web:patient_new")).context["form"]
    assert form["timezone"].value() == "America/New_York"
    assert form["primary_pt"].value() == world.own.pt.pk
    assert set(form.fields["coach"].queryset) == {world.own.coach}


@pytest.mark.parametrize(("changes", "field"), [
    ({"pain_onset_date": dt.date(1960, 1, 1), "date_of_birth": dt.date(1970, 1, 1)}, "pain_onset_date"),
    ({"date_of_birth": TODAY + dt.timedelta(days=3), "pain_onset_date": TODAY + dt.timedelta(days=4)}, "date_of_birth"),
    ({"reminder_channel": "email", "email": ""}, "email"),
    ({"reminder_channel": "sms", "phone": ""}, "phone"),
    ({"phone": "call me"}, "phone"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"red_flags": ["not_a_flag"]}, "red_flags"),
    ({"first_name": ""}, "first_name"),
])
def test_bad_intake_is_a_400_on_the_field_and_writes_nothing(client, world, changes, field):
    client.force_login(world.own.pt)
    before = _row_counts()
    response = _new(client, world.own, last_name="Typed In", **changes)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors or (field == "pain_onset_date" and "Pain onset cannot be before" in str(errors)), errors
    assert b'value="Typed In"' in response.content  # what the user typed is kept
    assert _row_counts() == before


def test_another_clinics_staff_cannot_be_put_on_the_care_team(client, world):
    client.force_login(world.own.pt)
    before = _row_counts()
    new = _new(client, world.own, coach=world.other.coach.pk)
    edit = client.post(reverse("web:patient_intake", args=[world.own.patient.pk]),
                       intake(world.own, primary_pt=world.other.pt.pk))
    assert (new.status_code, edit.status_code) == (400, 400)
    assert "coach" in new.context["form"].errors and "primary_pt" in edit.context["form"].errors
    assert _row_counts() == before


def test_editing_the_intake_changes_only_what_was_changed(client, world):
    patient = world.own.patient
    client.force_login(world.own.pt)
    response = client.post(reverse("web:patient_intake", args=[patient.pk]),
                           intake(world.own, phone="+1 555 010 0199", symptoms=["pain_lifting"]))
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.phone, patient.symptoms) == ("+1 555 010 0199", ["pain_lifting"])
    assert patient.red_flag_status == "none" and not patient.alerts.exists()


def test_removing_a_red_flag_in_the_intake_does_not_clear_it(client, world):
    """Clinical-reference §2: clearance is a PT's explicit review with a note, never an edit."""
    flagged = world.own.flagged_patient
    client.force_login(world.own.pt)
    side = world.own
    side.patient = flagged
    response = client.post(reverse("web:patient_intake", args=[flagged.pk]), intake(side, red_flags=[]))
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert (flagged.red_flags, flagged.red_flag_status) == ([], "positive")


def test_the_intake_form_shows_the_patient_and_is_an_audited_read(client, world):
    from core.models import AuditEvent

    patient = world.own.patient
    client.force_login(world.own.pt)
    response = client.get(reverse("web:patient_intake", args=[patient.pk]))
    assert response.status_code == 200
    assert f'value="{patient.last_name}"'.encode() in response.content
    assert AuditEvent.objects.filter(action="read", patient_id=patient.pk, actor_id=world.own.pt.pk).exists()


def test_adding_a_red_flag_in_the_intake_says_so(client, world):
    from django.contrib.messages import get_messages

    client.force_login(world.own.pt)
    response = client.post(reverse("web:patient_intake", args=[world.own.patient.pk]),
                           intake(world.own, red_flags=["bladder_dysfunction"]))
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said == ["Intake saved. Red flags are positive: review them before activating a plan."]


def test_pain_that_started_today_in_tokyo_is_not_in_the_future(client, world, settings):
    """'Today' is the patient's local day, even when it is still yesterday in UTC."""
    import time_machine

    client.force_login(world.own.pt)
    with time_machine.travel(dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.UTC), tick=False):  # 05:00 on the 24th in Tokyo
        response = _new(client, world.own, last_name="Tanaka", timezone="Asia/Tokyo",
                        pain_onset_date=dt.date(2026, 11, 24))
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert Patient.objects.get(last_name="Tanaka").pain_onset_date == dt.date(2026, 11, 24)


def test_an_admin_cannot_put_another_clinics_pt_on_a_patient(client_for, admin_user, world):
    response = client_for(admin_user).patch(f"/api/v1/patients/{world.own.patient.pk}/",
                                            {"primary_pt": world.other.pt.pk}, format="json")
    assert response.status_code == 400 and "primary_pt" in response.json()
    world.own.patient.refresh_from_db()
    assert world.own.patient.primary_pt == world.own.pt


def test_the_record_shows_the_intake_in_words(client, world):
    patient = world.own.flagged_patient
    patient.symptoms = ["pain_radiating_to_legs"]
    patient.save()
    client.force_login(world.own.pt)
    page = client.get(reverse("web:patient", args=[patient.pk])).content.decode()
    assert "Pain radiating into the legs" in page and "History of cancer" in page


def test_the_red_flag_review_has_no_default_outcome(client, world):
    """Clinical-reference §2 (v2): the PT chooses cleared or referred; nothing is chosen for them."""
    from django.utils.html import escape

    side = world.own
    flagged = side.flagged_patient
    client.force_login(side.pt)
    page = client.get(reverse("web:patient", args=[flagged.pk])).content.decode()
    assert f'<option value="" selected>{escape("Choose the outcome")}</option>' in page
    url = reverse("web:review_red_flags", args=[flagged.pk])
    refused = client.post(url, {"note": "Seen today"})
    flagged.refresh_from_db()
    assert refused.status_code in (302, 400) and flagged.red_flag_status == "positive"
    client.post(url, {"outcome": "referred", "note": "Sent to the emergency department"})
    flagged.refresh_from_db()
    assert flagged.red_flag_status == "referred"
