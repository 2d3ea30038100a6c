import datetime as dt

import pytest
from django.utils import timezone

from coaching import services
from coaching.models import CheckIn, OutreachItem, ReminderDelivery
from exercises.models import ExerciseSession
from patients.models import Alert
from tests.factories import CarePlanFactory, PatientFactory

pytestmark = pytest.mark.django_db
NOW = timezone.now()


@pytest.fixture
def plan(clinic, pt, coach):
    patient = PatientFactory(clinic=clinic, coach=coach, primary_pt=pt, timezone="UTC")
    return CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=NOW.date() - dt.timedelta(days=20))


def open_items(patient):
    return set(OutreachItem.objects.filter(patient=patient, resolved_at__isnull=True).values_list("cause", flat=True))


def session(plan, when):
    return ExerciseSession.objects.create(patient=plan.patient, care_plan=plan, performed_at=when, source="staff",
                                          recorded_by=plan.lead_pt)


def test_no_recent_session_opens_and_clears_on_its_own(plan):
    services.outreach_refresh(now=NOW)
    assert open_items(plan.patient) == {"no_recent_session"}
    assert OutreachItem.objects.get().coach == plan.patient.coach
    session(plan, NOW - dt.timedelta(hours=1))
    assert services.outreach_refresh(now=NOW) == (0, 1)
    item = OutreachItem.objects.get()
    assert item.cleared_at and item.resolved_at and item.resolution_note == "Cleared on its own."


def test_a_resolved_item_stays_away_until_the_cause_clears_and_recurs(plan, coach):
    services.outreach_refresh(now=NOW)
    item = OutreachItem.objects.get()
    services.outreach_resolve(actor=coach, item_id=item.pk, note="Called; travelling this week.")
    assert services.outreach_refresh(now=NOW + dt.timedelta(hours=1)) == (0, 0)  # same cause, no new item
    session(plan, NOW + dt.timedelta(hours=2))
    services.outreach_refresh(now=NOW + dt.timedelta(hours=3))  # the cause clears
    assert OutreachItem.objects.get().cleared_at is not None
    services.outreach_refresh(now=NOW + dt.timedelta(days=4))  # and recurs
    assert OutreachItem.objects.filter(cause="no_recent_session").count() == 2
    assert open_items(plan.patient) == {"no_recent_session"}


def test_unanswered_reminders(plan):
    session(plan, NOW - dt.timedelta(days=6))
    for days_ago in (5, 3, 1):
        ReminderDelivery.objects.create(patient=plan.patient, care_plan=plan, slot=NOW.date() - dt.timedelta(days_ago),
                                        channel="email", status="sent", sent_at=NOW - dt.timedelta(days=days_ago))
    services.outreach_refresh(now=NOW)
    assert "unanswered_reminders" in open_items(plan.patient)
    detail = OutreachItem.objects.get(cause="unanswered_reminders").detail
    assert detail.startswith("3 reminders since")


def test_overdue_check_in_and_open_alerts(plan, coach):
    session(plan, NOW - dt.timedelta(hours=2))
    CheckIn.objects.create(patient=plan.patient, coach=coach, occurred_at=NOW - dt.timedelta(days=10), channel="phone",
                           mood=3, confidence=6, next_check_in=NOW.date() - dt.timedelta(days=3))
    Alert.objects.create(patient=plan.patient, kind="safety", severity="urgent", message="PHQ-9 item 9")
    services.outreach_refresh(now=NOW)
    assert open_items(plan.patient) == {"overdue_check_in", "open_alert"}
    CheckIn.objects.create(patient=plan.patient, coach=coach, occurred_at=NOW - dt.timedelta(hours=1), channel="video",
                           mood=4, confidence=7, next_check_in=NOW.date() + dt.timedelta(days=7))
    Alert.objects.update(acknowledged_by=coach, acknowledged_at=NOW, acknowledgement_note="Safe")
    services.outreach_refresh(now=NOW)
    assert open_items(plan.patient) == set()


def test_coach_works_the_queue_through_the_api(client_for, coach, other_coach, plan, manager):
    services.outreach_refresh(now=NOW)
    mine = client_for(coach).get("/api/v1/outreach/", {"status": "open"}).json()["results"]
    assert [(row["patient"], row["cause"]) for row in mine] == [(plan.patient_id, "no_recent_session")]
    assert client_for(other_coach).get("/api/v1/outreach/").json()["results"] == []  # not their patient
    assert len(client_for(other_coach).get("/api/v1/outreach/", {"scope": "clinic"}).json()["results"]) == 1
    assert len(client_for(manager).get("/api/v1/outreach/").json()["results"]) == 1
    url = f"/api/v1/outreach/{mine[0]['id']}/resolve/"
    assert client_for(coach).post(url, {}, format="json").status_code == 400
    assert client_for(manager).post(url, {"note": "x"}, format="json").status_code == 403
    done = client_for(coach).post(url, {"note": "Booked a video check-in for Monday."}, format="json")
    assert done.status_code == 200 and done.json()["is_open"] is False
    assert client_for(coach).post(url, {"note": "again"}, format="json").status_code == 409


@pytest.fixture
def other_coach(clinic):
    from tests.factories import UserFactory

    return UserFactory(clinic=clinic, role="coach", email="coach2@riverside.example")


def test_an_open_alert_item_is_not_resolved_while_the_alert_is_unacknowledged(plan, coach, client_for):
    """clinical-reference §2 (v2): an unacknowledged alert stays at the top of the work list; the item
    goes once the alert is acknowledged with a note, not before."""
    session(plan, NOW - dt.timedelta(hours=2))
    alert = Alert.objects.create(patient=plan.patient, kind="safety", severity="urgent", message="PHQ-9 item 9")
    services.outreach_refresh(now=NOW)
    item = OutreachItem.objects.get(cause="open_alert")
    refused = client_for(coach).post(f"/api/v1/outreach/{item.pk}/resolve/", {"note": "Called"}, format="json")
    assert refused.status_code == 409 and "Acknowledge the alert" in refused.json()["detail"]
    item.refresh_from_db()
    assert item.resolved_at is None
    Alert.objects.filter(pk=alert.pk).update(acknowledged_by=coach, acknowledged_at=NOW, acknowledgement_note="Safe")
    services.outreach_refresh(now=NOW)
    item.refresh_from_db()
    assert item.cleared_at is not None and item.resolved_at is not None
