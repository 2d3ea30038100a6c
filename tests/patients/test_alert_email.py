"""Alert e-mails through the outbox: exactly once in effect, at least once at the SMTP boundary."""

import datetime as dt

import pytest
from django.utils import timezone

from core import outbox
from core.models import OutboxMessage
from patients.models import Alert
from patients.services import alert_acknowledge, alert_open

pytestmark = pytest.mark.django_db


def open_alert(patient) -> Alert:
    return alert_open(patient=patient, kind=Alert.Kind.SAFETY, severity=Alert.Severity.URGENT, message="Call today.")


def test_the_alert_and_its_email_are_written_together(patient, pt, coach, mailoutbox):
    alert = open_alert(patient)
    message = OutboxMessage.objects.get()
    assert (message.handler, message.payload, message.status) == (
        "patients.services.alert_notify_staff", {"alert_id": alert.pk}, "pending")
    assert mailoutbox == []  # not before the commit
    assert outbox.drain().delivered == 1 and outbox.drain().delivered == 0
    assert len(mailoutbox) == 1 and sorted(mailoutbox[0].to) == sorted([pt.email, coach.email])
    assert mailoutbox[0].extra_headers["Message-ID"] == f"<alert-{alert.pk}-{message.idempotency_key}@moverx>"


def test_a_crash_after_sending_sends_the_same_message_again_never_none(patient, mailoutbox, settings):
    open_alert(patient)
    message = OutboxMessage.objects.get()
    started = timezone.now() - dt.timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS + 1)
    OutboxMessage.objects.filter(pk=message.pk).update(status="sending", attempts=1, sending_started_at=started)
    outbox.deliver(message.pk)  # a stuck row is not taken by the fast path ...
    assert mailoutbox == []
    from patients.services import alert_notify_staff

    alert_notify_staff(idempotency_key=str(message.idempotency_key), **message.payload)  # sent, then the crash
    assert outbox.drain().recovered == 1  # ... the drain settles it: delivered again
    assert len(mailoutbox) == 2 and mailoutbox[0].extra_headers == mailoutbox[1].extra_headers  # same Message-ID
    assert OutboxMessage.objects.get().status == "sent"


def test_an_alert_acknowledged_before_delivery_needs_no_email(patient, pt, mailoutbox):
    alert = open_alert(patient)
    alert_acknowledge(actor=pt, alert_id=alert.pk, note="Already called the patient.")
    assert outbox.drain().delivered == 1 and mailoutbox == []


@pytest.mark.parametrize(("kind", "severity", "words"), [
    (Alert.Kind.SAFETY, Alert.Severity.URGENT, "(safety)"),
    (Alert.Kind.NO_IMPROVEMENT, Alert.Severity.REVIEW, "(no improvement at week 4)"),
])
def test_the_email_names_the_kind_of_alert_in_words_and_nothing_of_the_patient(patient, pt, mailoutbox, kind,
                                                                               severity, words):
    alert_open(patient=patient, kind=kind, severity=severity, message="Details stay in MoveRx.")
    outbox.drain()
    body = mailoutbox[0].body
    assert body.startswith(f"An alert is open for one of your patients {words}.")
    assert patient.last_name not in body and "Details stay" not in body
