"""The coach's pages as a new coach finds them: check-in notes shown, the outreach queue says how long
since the last session and how to reach the patient, a habit day refused with the days allowed."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from coaching import services
from coaching.models import HabitLog, OutreachItem
from core.clock import local_today
from core.errors import InvalidInput
from exercises import services as exercises
from exercises.models import Exercise
from tests.factories import CarePlanFactory, PatientFactory

pytestmark = pytest.mark.django_db
ZONE = "Pacific/Kiritimati"  # UTC+14: the patient's dates are not the server's


def last_session_at(patient, pt, coach, when):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=when.date() - dt.timedelta(days=7))
    prescription = exercises.prescription_create(actor=pt, care_plan=plan, exercise=Exercise.objects.filter(
        clinic__isnull=True).first(), start_date=plan.start_date)
    exercises.session_record(actor=coach, patient=patient, prescriptions=[prescription], source="staff",
                             performed_at=when)


def outreach(patient, coach):
    return OutreachItem.objects.create(patient=patient, coach=coach, cause=OutreachItem.Cause.NO_RECENT_SESSION,
                                       detail="No exercise session for 3 days or more")


def test_the_queue_counts_days_since_the_last_session_in_the_patients_dates(client, clinic, pt, coach):
    patient = PatientFactory(clinic=clinic, primary_pt=pt, coach=coach, timezone=ZONE, phone="+686 555 0100",
                             reminder_channel="sms")
    today = local_today(ZONE)
    last_session_at(patient, pt, coach, dt.datetime.combine(today - dt.timedelta(days=3), dt.time(0, 30),
                                                            tzinfo=ZoneInfo(ZONE)))
    outreach(patient, coach)
    client.force_login(coach)
    page = client.get(reverse("web:coach")).content.decode()
    assert "3 days since the last session" in page
    assert "since " + today.strftime("%b") not in page  # no "since <the time the item was opened>"
    assert 'href="tel:+686 555 0100"' in page
    assert "prefers sms" in page.lower()


def test_a_patient_without_any_session_says_so(client, patient, coach):
    outreach(patient, coach)
    client.force_login(coach)
    page = client.get(reverse("web:coach")).content.decode()
    assert "no session yet" in page
    assert "no phone number" in page or patient.phone in page


def test_check_in_notes_are_shown_on_the_record_and_in_the_caseload(client, patient, coach):
    services.check_in_record(actor=coach, patient=patient, occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
                             channel="phone", mood=3, confidence=6, notes="Knee sore after stairs, walking fine",
                             agreed="Walk 10 minutes after lunch", next_check_in=local_today(patient.timezone))
    client.force_login(coach)
    record = client.get(reverse("web:patient", args=[patient.pk])).content.decode()
    assert "Knee sore after stairs, walking fine" in record
    caseload = client.get(reverse("web:coach")).content.decode()
    assert "Knee sore after stairs, walking fine" in caseload
    assert "Walk 10 minutes after lunch" in caseload
    assert "Next: " in caseload


def test_the_caseload_says_when_there_is_no_check_in(client, patient, coach):
    client.force_login(coach)
    assert "none yet" in client.get(reverse("web:coach")).content.decode()


def goal_started_six_days_ago(coach, patient):
    start = local_today(patient.timezone) - dt.timedelta(days=6)
    return services.habit_goal_create(actor=coach, patient=patient, description="Walk", target_per_week=3,
                                      start_date=start)


def expected_range(patient):
    today = local_today(patient.timezone)
    first = today - dt.timedelta(days=6)
    return f"Pick a day from {first:%b} {first.day} to {today:%b} {today.day}."


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])  # UTC+14 and UTC-11
def test_the_api_refuses_a_day_outside_the_goal_naming_the_days_allowed(client_for, clinic, pt, coach, zone):
    patient = PatientFactory(clinic=clinic, primary_pt=pt, coach=coach, timezone=zone)
    goal = goal_started_six_days_ago(coach, patient)
    api = client_for(coach)
    # the patient's tomorrow (in Kiritimati no zone's today: the field's own bound refuses it first)
    too_late = [local_today(zone) + dt.timedelta(days=1)] if zone == "Pacific/Pago_Pago" else []
    for day in [goal.start_date - dt.timedelta(days=1), *too_late]:
        response = api.post(f"/api/v1/habit-goals/{goal.pk}/log/", {"date": day.isoformat()}, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["date"] == [expected_range(patient)]
    assert api.post(f"/api/v1/habit-goals/{goal.pk}/log/", {"date": local_today(zone).isoformat()},
                    format="json").status_code == 201


def test_the_page_offers_and_refuses_the_same_days(client, patient, coach):
    goal = goal_started_six_days_ago(coach, patient)
    client.force_login(coach)
    today = local_today(patient.timezone)
    record = client.get(reverse("web:patient", args=[patient.pk])).content.decode()
    assert f'min="{goal.start_date.isoformat()}" max="{today.isoformat()}"' in record
    response = client.post(reverse("web:log_habit", args=[goal.pk]),
                           {"date": (goal.start_date - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 302
    assert any(expected_range(patient) in str(m) for m in get_messages(response.wsgi_request))
    assert not HabitLog.objects.filter(goal=goal).exists()


def test_a_goal_starting_later_says_no_day_can_be_logged_yet(coach, patient):
    start = local_today(patient.timezone) + dt.timedelta(days=2)
    goal = services.habit_goal_create(actor=coach, patient=patient, description="Walk", target_per_week=3,
                                      start_date=start)
    with pytest.raises(InvalidInput) as refused:
        services.habit_log(actor=coach, goal=goal, done_on=start)
    assert "no day can be logged yet" in str(refused.value.detail)


def test_the_outreach_api_gives_the_same_days_and_contact(client_for, clinic, pt, coach):
    patient = PatientFactory(clinic=clinic, primary_pt=pt, coach=coach, timezone=ZONE, phone="+686 555 0100",
                             reminder_channel="sms")
    last_session_at(patient, pt, coach, dt.datetime.combine(local_today(ZONE) - dt.timedelta(days=3),
                                                            dt.time(0, 30), tzinfo=ZoneInfo(ZONE)))
    outreach(patient, coach)
    [item] = client_for(coach).get("/api/v1/outreach/").json()["results"]
    assert (item["days_since_session"], item["patient_phone"], item["patient_reminder_channel"]) == (
        3, "+686 555 0100", "sms")
