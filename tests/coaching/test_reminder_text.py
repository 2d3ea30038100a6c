"""What a reminder says, as each channel sends it: no clinic name, no condition (a lock screen or a
shared inbox is not private), and no "Reply STOP" from an address that reads nothing: the way out
is the care team."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from coaching.services import reminders
from tests.factories import CarePlanFactory, PatientFactory

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("America/New_York"))
NOT_ALLOWED = ["riverside", "physio", "physical therap", "back", "pain", "spine", "reply stop", "text stop"]


def send_one(clinic, channel):
    patient = PatientFactory(clinic=clinic, timezone="America/New_York", reminder_channel=channel,
                             first_name="Imani", phone="+1 555 010 0123")
    CarePlanFactory(patient=patient, status="active", start_date=dt.date(2026, 2, 20), lead_pt__clinic=clinic)
    enqueued = []
    reminders.sweep(now=NOON, enqueue=enqueued.extend)
    assert reminders.send(enqueued[0], now=NOON + dt.timedelta(minutes=1)) == "sent"
    return patient


def assert_discreet(subject, body, patient):
    text = f"{subject}\n{body}".lower()
    assert patient.clinic.name.lower() not in text
    assert [word for word in NOT_ALLOWED if word in text] == []
    assert "STOP" not in f"{subject} {body}"
    assert body.startswith(f"Hi {patient.first_name},")
    assert "care team" in body  # the opt-out that works


def test_the_email_reminder(clinic, settings, mailoutbox):
    settings.REMINDER_CHANNELS = {"email": "coaching.channels.EmailChannel", "sms": "coaching.channels.LoggingChannel"}
    patient = send_one(clinic, "email")
    [message] = mailoutbox
    assert message.to == [patient.email]
    assert_discreet(message.subject, message.body, patient)


def test_the_text_message_reminder(clinic, settings, tmp_path):
    settings.REMINDER_LOG_FILE = str(tmp_path / "sms.log")
    settings.REMINDER_CHANNELS = {"email": "coaching.channels.EmailChannel", "sms": "coaching.channels.LoggingChannel"}
    patient = send_one(clinic, "sms")
    [line] = (tmp_path / "sms.log").read_text().splitlines()
    sent = json.loads(line)
    assert sent["to"] == patient.phone
    assert_discreet(sent["subject"], sent["body"], patient)
