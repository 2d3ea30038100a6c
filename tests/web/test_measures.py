"""Recording an outcome measure from the patient page: typed as on paper, scored by the server
(clinical-reference §1) with the API's rules; a refusal writes nothing."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape

from outcomes.instruments import score_and_band
from outcomes.models import Assessment
from patients.models import Alert
from tests.factories import CarePlanFactory, local_now, today
from tests.test_permission_matrix import _row_counts

pytestmark = pytest.mark.django_db
YESTERDAY = (local_now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")


def record(client, patient, instrument, answers):
    response = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": instrument, "answers": answers, "collected_at": YESTERDAY})
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(("instrument", "typed", "answers"), [
    ("nprs", "6", [6]),
    ("odi", "2 1 3 - 2 1 0 2 1 1", [2, 1, 3, None, 2, 1, 0, 2, 1, 1]),
    ("gad7", "1,2,1,0,3,2,1", [1, 2, 1, 0, 3, 2, 1]),
    ("psfs", "Lifting groceries: 4\nSitting through a film: 7", [{"label": "Lifting groceries", "rating": 4},
                                                                {"label": "Sitting through a film", "rating": 7}]),
])
def test_a_pt_records_a_measure_scored_by_the_server(client, pt, patient, instrument, typed, answers):
    client.force_login(pt)
    said = record(client, patient, instrument, typed)
    stored = Assessment.objects.get(patient=patient)
    score, band = score_and_band(instrument, answers)
    assert (stored.answers, stored.score, stored.band) == (answers, score, band)
    assert (stored.recorded_by, stored.source) == (pt, "staff")
    assert said == [f"{stored.get_instrument_display()} recorded: score {score:g}"
                    + (f" ({band.replace('_', ' ')})" if band else "") + "."]


def test_phq9_item_9_from_the_page_opens_the_safety_alert(client, coach, patient):
    client.force_login(coach)
    record(client, patient, "phq9", "0 0 0 0 0 0 0 0 2")
    assert Alert.objects.get(patient=patient).kind == Alert.Kind.SAFETY


def test_a_refused_phq9_from_the_page_with_item_9_above_0_still_raises_the_alert(client, coach, patient):
    client.force_login(coach)
    response = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": "phq9", "answers": "0 0 5 0 0 0 0 0 1", "collected_at": YESTERDAY})
    assert response.status_code == 400
    assert not Assessment.objects.exists()
    alert = Alert.objects.get(patient=patient)
    assert alert.kind == Alert.Kind.SAFETY and alert.submitted_answers == [0, 0, 5, 0, 0, 0, 0, 0, 1]


@pytest.mark.parametrize(("instrument", "typed", "words"), [
    ("phq9", "1 2 3", "Answer 9 (thoughts of self-harm) must be answered"),  # item 9 first (§1, v2)
    ("phq9", "1 2 3 1 2 3 1 2 0 1", "phq9 needs exactly 9 answers."),
    ("nprs", "11", "Answer 1 must be a whole number from 0 to 10."),
    ("odi", "- - - 1 1 1 1 1 1 1", "ODI"),
    ("nprs", "six", "Write whole numbers"),
    ("psfs", "Walking the dog", "Write whole numbers"),
])
def test_wrong_answers_are_refused_with_the_apis_words_and_nothing_stored(client, pt, patient, instrument, typed,
                                                                          words):
    client.force_login(pt)
    before = _row_counts()
    response = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": instrument, "answers": typed, "collected_at": YESTERDAY})
    assert response.status_code == 400
    form = response.context["forms"]["measure"]
    assert words in " ".join(form.errors["answers"]), form.errors
    assert f"{escape(typed)}</textarea>" in response.content.decode()  # what was typed is still there
    assert _row_counts() == before


def test_a_refused_check_in_keeps_what_the_coach_typed(client, coach, patient):
    """The same rule for every form on the record (web.views.patients.submit_on_record)."""
    client.force_login(coach)
    before = _row_counts()
    response = client.post(reverse("web:log_check_in", args=[patient.pk]), {
        "occurred_at": YESTERDAY, "channel": "phone", "mood": 9, "confidence": 6, "notes": "Knee sore after stairs"})
    assert response.status_code == 400
    assert "mood" in response.context["forms"]["check_in"].errors
    assert "Knee sore after stairs</textarea>" in response.content.decode()
    assert _row_counts() == before


@pytest.mark.parametrize(("typed", "when", "field", "kept"), [
    ("0 0 0 0 0 0 0 0 2", "", "collected_at", [0, 0, 0, 0, 0, 0, 0, 0, 2]),  # no date
    ("0 0 0 0 0 0 0 0 2", "1800-01-01T09:00", "collected_at", [0, 0, 0, 0, 0, 0, 0, 0, 2]),  # out of bounds
    ("0 0 x 0 0 0 0 0 3", YESTERDAY, "answers", [0, 0, "x", 0, 0, 0, 0, 0, 3]),  # the form cannot read item 3
])
def test_a_phq9_the_form_refuses_still_raises_the_alert(client, pt, patient, typed, when, field, kept):
    """clinical-reference §1 (v2): item 9 is read before the form's own checks too."""
    client.force_login(pt)
    response = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": "phq9", "answers": typed, "collected_at": when})
    assert response.status_code == 400 and field in response.context["forms"]["measure"].errors
    assert not Assessment.objects.exists()
    alert = Alert.objects.get(patient=patient)
    assert alert.kind == Alert.Kind.SAFETY and alert.submitted_answers == kept


def test_no_alert_when_the_form_refuses_a_phq9_with_item_9_at_0(client, pt, patient):
    client.force_login(pt)
    response = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": "phq9", "answers": "3 3 x 3 3 3 3 3 0", "collected_at": ""})
    assert response.status_code == 400 and not Alert.objects.exists()


def _started_plan(patient, pt, days_ago):
    return CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=today() - dt.timedelta(days_ago))


def test_a_pgic_shows_in_the_table_with_its_band_and_words(client, pt, patient):
    _started_plan(patient, pt, days_ago=84)
    client.force_login(pt)
    said = record(client, patient, "pgic", "2")
    assert said == ["Patient Global Impression of Change recorded: score 2 (improved)."]
    page = client.get(reverse("web:patient", args=[patient.pk])).content.decode()
    assert "<td>2 (much improved)</td><td>improved</td>" in page
    assert "7 very much worse" in page  # the answers are labelled on the form


def test_a_pgic_outside_the_week_12_window_is_taken_with_a_word_on_the_report(client, pt, patient):
    plan = _started_plan(patient, pt, days_ago=20)
    client.force_login(pt)
    said = record(client, patient, "pgic", "4")
    start, end = plan.start_date + dt.timedelta(days=70), plan.start_date + dt.timedelta(days=98)
    assert said == ["Patient Global Impression of Change recorded: score 4 (unchanged). The 12-week report reads "
                    f"a PGIC collected {start:%b %-d} to {end:%b %-d} only."]


def test_a_pgic_without_a_started_plan_is_refused_on_the_page(client, pt, patient):
    client.force_login(pt)
    response = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": "pgic", "answers": "2", "collected_at": YESTERDAY})
    assert response.status_code == 400
    assert "care plan has started" in " ".join(response.context["forms"]["measure"].errors["instrument"])
    assert not Assessment.objects.exists()


def test_the_psfs_follow_up_form_offers_the_first_psfs_activities(client, pt, patient):
    _started_plan(patient, pt, days_ago=40)
    client.force_login(pt)
    page = client.get(reverse("web:patient", args=[patient.pk]))
    assert page.context["forms"]["psfs"].initial["answers"] == ""  # nothing to offer yet
    record(client, patient, "psfs", "Lifting groceries: 3\nSitting through a film: 5")
    form = client.get(reverse("web:patient", args=[patient.pk])).context["forms"]["psfs"]
    assert form.initial["answers"] == "Lifting groceries: \nSitting through a film: "
    said = record(client, patient, "psfs", "Lifting groceries: 6\nSitting through a film: 8\nGardening: 4")
    assert said == ["Patient-Specific Functional Scale recorded: score 6.0."]


def test_a_phq9_without_item_9_refused_by_the_form_also_says_item_9(client, pt, patient):
    client.force_login(pt)
    response = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": "phq9", "answers": "1 2 3", "collected_at": ""})
    errors = response.context["forms"]["measure"].errors
    assert response.status_code == 400 and "collected_at" in errors
    assert "Answer 9 (thoughts of self-harm) must be answered" in " ".join(errors["answers"])
    assert not Alert.objects.exists() and not Assessment.objects.exists()


def test_the_form_says_item_9_beside_its_own_error(client, pt, patient):
    """clinical-reference §1 (v2): an unreadable item 9 is refused with the error on item 9 too."""
    client.force_login(pt)
    response = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": "phq9", "answers": "1 1 1 1 1 1 1 1 x", "collected_at": ""})
    errors = response.context["forms"]["measure"].errors["answers"]
    assert response.status_code == 400 and len(errors) == 2 and any("Answer 9" in error for error in errors)
