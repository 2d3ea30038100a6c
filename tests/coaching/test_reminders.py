"""The reminder rules, with the tasks run in-process at chosen moments (the fault tests in
test_reminder_faults.py use real workers)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from coaching.channels import LoggingChannel
from coaching.models import ReminderDelivery
from coaching.services import reminders
from exercises.models import ExerciseSession
from tests.factories import CarePlanFactory, PatientFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.REMINDER_LOG_FILE = str(tmp_path / "outbox.log")
    logging_channel = "coaching.channels.LoggingChannel"
    settings.REMINDER_CHANNELS = {"email": logging_channel, "sms": logging_channel}
    return LoggingChannel(settings.REMINDER_LOG_FILE)


def active_patient(clinic, tz="America/New_York", started_days_ago=10, **extra):
    patient = PatientFactory(clinic=clinic, timezone=tz, **extra)
    CarePlanFactory(patient=patient, status="active",
                    start_date=dt.date(2026, 3, 10) - dt.timedelta(days=started_days_ago), lead_pt__clinic=clinic)
    return patient


def sweep(now):
    enqueued = []
    result = reminders.sweep(now=now, enqueue=enqueued.extend)
    return result, enqueued


def local(hour, minute=0, tz="America/New_York", day=10):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=ZoneInfo(tz))


def test_a_due_patient_gets_one_reminder_a_local_day(clinic, outbox):
    patient = active_patient(clinic)
    result, ids = sweep(local(10))
    assert result.created == 1 and len(ids) == 1
    assert reminders.send(ids[0], now=local(10, 1)) == "sent"
    assert sweep(local(15))[0].created == 0  # same local day
    assert sweep(local(10, day=11))[0].created == 1  # next local day
    delivery = ReminderDelivery.objects.filter(patient=patient).order_by("slot").first()
    assert delivery.status == "sent" and delivery.attempts == 1
    assert outbox.sent_keys() == [str(delivery.idempotency_key)]
    message = outbox.path.read_text()
    assert patient.first_name in message and "pain" not in message.lower()


@pytest.mark.parametrize(("tz", "hour", "minute", "due"), [
    ("America/New_York", 19, 59, True), ("America/New_York", 20, 0, False), ("America/New_York", 23, 30, False),
    ("America/New_York", 0, 30, False), ("America/New_York", 8, 59, False), ("America/New_York", 9, 0, True),
    ("Asia/Tokyo", 21, 0, False), ("Asia/Tokyo", 12, 0, True), ("Pacific/Auckland", 6, 0, False),
])
def test_quiet_hours_in_the_patients_local_time(clinic, tz, hour, minute, due):
    active_patient(clinic, tz=tz)
    assert bool(sweep(local(hour, minute, tz=tz))[0].created) is due


def test_quiet_hours_that_do_not_cross_midnight(clinic):
    clinic.quiet_hours_start, clinic.quiet_hours_end = dt.time(12, 0), dt.time(14, 0)
    clinic.save()
    active_patient(clinic)
    assert sweep(local(13))[0].created == 0
    assert sweep(local(14))[0].created == 1


def test_reminder_after_days_is_the_clinics(clinic):
    patient = active_patient(clinic)
    plan = patient.care_plans.get()
    ExerciseSession.objects.create(patient=patient, care_plan=plan, performed_at=local(9, day=9), source="staff",
                                   recorded_by=plan.lead_pt)
    assert sweep(local(10))[0].created == 0  # a session within 2 days
    clinic.reminder_after_days = 1
    clinic.save()
    assert sweep(local(10))[0].created == 1


@pytest.mark.parametrize("change", [
    {"reminders_opted_out": True}, {"reminder_channel": "none"}, {"reminder_channel": "sms", "phone": ""},
])
def test_patients_who_must_not_be_reminded(clinic, change):
    active_patient(clinic, **change)
    assert sweep(local(10))[0].created == 0


@pytest.mark.parametrize("status", ["paused", "discharged", "draft"])
def test_only_active_plans(clinic, status):
    patient = active_patient(clinic)
    patient.care_plans.update(status=status)
    assert sweep(local(10))[0].created == 0


def test_plans_just_started_are_left_alone(clinic):
    active_patient(clinic, started_days_ago=1)
    assert sweep(local(10))[0].created == 0


def test_a_session_after_queueing_skips_the_reminder(clinic, outbox):
    patient = active_patient(clinic)
    _, ids = sweep(local(10))
    plan = patient.care_plans.get()
    ExerciseSession.objects.create(patient=patient, care_plan=plan, performed_at=local(10, 5), source="staff",
                                   recorded_by=plan.lead_pt)
    assert reminders.send(ids[0], now=local(10, 10)) == "skipped"
    assert ReminderDelivery.objects.get().last_error == "Skipped: the patient logged a session."
    assert outbox.sent_keys() == []


def test_opting_out_after_queueing_skips(clinic, outbox):
    patient = active_patient(clinic)
    _, ids = sweep(local(10))
    patient.reminders_opted_out = True
    patient.save()
    assert reminders.send(ids[0], now=local(10, 1)) == "skipped"


def test_sending_twice_sends_once(clinic, outbox):
    active_patient(clinic)
    _, ids = sweep(local(10))
    assert reminders.send(ids[0], now=local(10, 1)) == "sent"
    assert reminders.send(ids[0], now=local(10, 2)) is None
    assert len(outbox.sent_keys()) == 1


def test_a_quiet_time_send_waits(clinic, outbox):
    active_patient(clinic)
    _, ids = sweep(local(19, 55))
    assert reminders.send(ids[0], now=local(20, 5)) is None  # quiet by now: left pending
    assert ReminderDelivery.objects.get().status == "pending"
    _, next_morning = sweep(local(9, 30, day=11))  # yesterday's row comes back with today's
    assert next_morning[0] == ids[0] and len(next_morning) == 2
    assert reminders.send(ids[0], now=local(9, 31, day=11)) == "skipped"  # its day has passed
    assert reminders.send(next_morning[1], now=local(9, 31, day=11)) == "sent"
    assert len(outbox.sent_keys()) == 1


def test_failures_retry_with_backoff_then_fail(clinic, settings):
    settings.REMINDER_CHANNELS = {"email": "tests.coaching.channels.BrokenChannel", "sms": "x"}
    settings.REMINDER_MAX_ATTEMPTS = 3
    active_patient(clinic)
    _, ids = sweep(local(10))
    delivery_id, now = ids[0], local(10)
    outcomes = []
    for _ in range(3):
        outcomes.append(reminders.send(delivery_id, now=now))
        row = ReminderDelivery.objects.get()
        if row.next_attempt_at:
            assert reminders.send(delivery_id, now=row.next_attempt_at - dt.timedelta(seconds=1)) is None
            now = row.next_attempt_at
    assert outcomes == ["pending", "pending", "failed"]
    row = ReminderDelivery.objects.get()
    assert row.attempts == 3 and "provider unavailable" in row.last_error


@pytest.mark.parametrize(("delivered", "status"), [(True, "sent"), (False, "pending")])
def test_stuck_rows_are_settled_by_asking_the_channel(clinic, outbox, delivered, status):
    active_patient(clinic)
    sweep(local(10))
    row = ReminderDelivery.objects.get()
    ReminderDelivery.objects.filter(pk=row.pk).update(status="sending", sending_started_at=local(10, 1), attempts=1)
    if delivered:
        outbox.send(to="x", subject="s", body="b", idempotency_key=str(row.idempotency_key))
    assert reminders.recover_stuck(now=local(10, 30)) == 1
    assert ReminderDelivery.objects.get().status == status


def test_stuck_rows_the_channel_cannot_confirm_are_not_resent(clinic, settings):
    settings.REMINDER_CHANNELS = {"email": "coaching.channels.EmailChannel", "sms": "x"}
    active_patient(clinic)
    sweep(local(10))
    ReminderDelivery.objects.update(status="sending", sending_started_at=local(10, 1), attempts=1)
    reminders.recover_stuck(now=local(10, 30))
    row = ReminderDelivery.objects.get()
    assert row.status == "failed" and "not re-sent" in row.last_error


def test_email_goes_through_django_mail(clinic, settings, mailoutbox):
    settings.REMINDER_CHANNELS = {"email": "coaching.channels.EmailChannel", "sms": "x"}
    patient = active_patient(clinic)
    _, ids = sweep(local(10))
    assert reminders.send(ids[0], now=local(10, 1)) == "sent"
    assert mailoutbox[0].to == [patient.email]
    key = str(ReminderDelivery.objects.get().idempotency_key)
    assert mailoutbox[0].extra_headers["X-MoveRx-Idempotency-Key"] == key
