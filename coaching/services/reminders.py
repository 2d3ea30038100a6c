"""Adherence reminders, exactly once in effect (DESIGN.md, reliability; issue: coaching).

The database is the source of truth. A sweep inserts the due reminders set-based, one row per
patient per local day (a unique constraint), claims pending rows with FOR UPDATE SKIP LOCKED and
hands Celery only their ids. Sending claims one row `pending → sending` atomically, sends under the
row's idempotency key and marks it `sent`. A row left in `sending` by a crashed worker is settled by
asking the channel whether that key was delivered, never by sending blindly again.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from coaching.channels import channel_for
from coaching.models import ReminderDelivery
from exercises.selectors import session_since_sql

logger = logging.getLogger("moverx.reminders")
Status = ReminderDelivery.Status

# Local time of the patient inside the clinic's quiet hours (which may wrap midnight).
QUIET_SQL = """
    CASE WHEN c.quiet_hours_start = c.quiet_hours_end THEN false
         WHEN c.quiet_hours_start < c.quiet_hours_end
             THEN (%(now)s AT TIME ZONE p.timezone)::time >= c.quiet_hours_start
              AND (%(now)s AT TIME ZONE p.timezone)::time < c.quiet_hours_end
         ELSE (%(now)s AT TIME ZONE p.timezone)::time >= c.quiet_hours_start
           OR (%(now)s AT TIME ZONE p.timezone)::time < c.quiet_hours_end
    END"""

# The patient did a session within the clinic's `reminder_after_days`.
RECENT_SESSION_SQL = session_since_sql("p.id", "%(now)s - make_interval(days => c.reminder_after_days)")

CREATE_DUE_SQL = f"""
    INSERT INTO coaching_reminderdelivery (patient_id, care_plan_id, slot, channel, status, attempts,
                                           idempotency_key, created_at)
    SELECT p.id, cp.id, (%(now)s AT TIME ZONE p.timezone)::date, p.reminder_channel, 'pending', 0,
           gen_random_uuid(), %(now)s
    FROM patients_patient p
    JOIN careplans_careplan cp ON cp.patient_id = p.id AND cp.status = 'active'
    JOIN accounts_clinic c ON c.id = p.clinic_id
    WHERE NOT p.reminders_opted_out
      AND ((p.reminder_channel = 'email' AND p.email <> '') OR (p.reminder_channel = 'sms' AND p.phone <> ''))
      AND cp.start_date <= (%(now)s AT TIME ZONE p.timezone)::date - c.reminder_after_days
      AND NOT {QUIET_SQL}
      AND NOT {RECENT_SESSION_SQL}
    ON CONFLICT (patient_id, slot) DO NOTHING
"""

CLAIM_BATCH_SQL = """
    UPDATE coaching_reminderdelivery r SET enqueued_at = %(now)s
    FROM (SELECT id FROM coaching_reminderdelivery
          WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
            AND (enqueued_at IS NULL OR enqueued_at < %(now)s - make_interval(secs => %(reenqueue)s))
          ORDER BY id LIMIT %(limit)s
          FOR UPDATE SKIP LOCKED) due
    WHERE r.id = due.id
    RETURNING r.id
"""

# pending → sending for one row, unless it is not due or the patient's local time is quiet now.
CLAIM_ONE_SQL = f"""
    UPDATE coaching_reminderdelivery r
    SET status = 'sending', attempts = r.attempts + 1, sending_started_at = %(now)s
    FROM patients_patient p JOIN accounts_clinic c ON c.id = p.clinic_id
    WHERE r.id = %(id)s AND r.status = 'pending' AND p.id = r.patient_id
      AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= %(now)s)
      AND NOT {QUIET_SQL}
    RETURNING r.id
"""

SKIP_REASON_SQL = f"""
    SELECT CASE WHEN r.slot < (%(now)s AT TIME ZONE p.timezone)::date THEN 'the day it was for has passed'
                WHEN p.reminders_opted_out THEN 'the patient opted out'
                WHEN p.reminder_channel <> r.channel THEN 'the patient changed their reminder channel'
                WHEN cp.status <> 'active' THEN 'the care plan is no longer active'
                WHEN {RECENT_SESSION_SQL} THEN 'the patient logged a session'
           END
    FROM coaching_reminderdelivery r
    JOIN patients_patient p ON p.id = r.patient_id
    JOIN accounts_clinic c ON c.id = p.clinic_id
    JOIN careplans_careplan cp ON cp.id = r.care_plan_id
    WHERE r.id = %(id)s
"""


@dataclass
class SweepResult:
    recovered: int
    created: int
    enqueued: int


def sweep(*, now: dt.datetime | None = None, enqueue=None) -> SweepResult:
    """One sweep: settle stuck rows, insert the due reminders, and enqueue pending ones."""
    now = now or timezone.now()
    recovered = recover_stuck(now=now)
    with connection.cursor() as cursor:
        cursor.execute(CREATE_DUE_SQL, {"now": now})
        created = cursor.rowcount
    return SweepResult(recovered=recovered, created=created, enqueued=enqueue_pending(now=now, enqueue=enqueue))


def enqueue_pending(*, now: dt.datetime, enqueue=None) -> int:
    """Claim pending rows in batches (SKIP LOCKED: two sweeps never take the same row) and send
    their ids to Celery. If the broker fails, the batch is released for the next sweep."""
    if enqueue is None:
        from coaching.tasks import send_reminders

        enqueue = send_reminders.delay
    enqueued = 0
    batch = settings.REMINDER_BATCH_SIZE
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(CLAIM_BATCH_SQL, {"now": now, "limit": batch * 10,
                                             "reenqueue": settings.REMINDER_REENQUEUE_AFTER_SECONDS})
            ids = sorted(row[0] for row in cursor.fetchall())
        if not ids:
            return enqueued
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            try:
                enqueue(chunk)
            except Exception:  # the broker is down: release the rest, the next sweep retries
                ReminderDelivery.objects.filter(id__in=ids[start:]).update(enqueued_at=None)
                logger.exception("could not enqueue %d reminders; released for the next sweep", len(ids) - start)
                return enqueued
            enqueued += len(chunk)


def send(delivery_id: int, *, now: dt.datetime | None = None) -> str | None:
    """Send one reminder if it is still due: claim it, check the reason still holds, send, record.
    Returns the new status, or None when another worker has it or it is not due."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_ONE_SQL, {"id": delivery_id, "now": now})
        if cursor.fetchone() is None:
            return None
        cursor.execute(SKIP_REASON_SQL, {"id": delivery_id, "now": now})
        skip_reason = cursor.fetchone()[0]
    delivery = ReminderDelivery.objects.select_related("patient").get(pk=delivery_id)
    sending = ReminderDelivery.objects.filter(pk=delivery_id, status=Status.SENDING)
    if skip_reason:
        sending.update(status=Status.SKIPPED, last_error=f"Skipped: {skip_reason}.")
        return Status.SKIPPED
    try:
        _deliver(delivery)
    except Exception as error:  # noqa: BLE001 - any channel failure is retried later, with backoff, up to a cap
        return _after_failure(delivery, error, now)
    sending.update(status=Status.SENT, sent_at=timezone.now(), last_error="")
    return Status.SENT


def _deliver(delivery: ReminderDelivery) -> None:
    patient = delivery.patient
    to = patient.email if delivery.channel == "email" else patient.phone
    subject, body = reminder_message(patient)
    channel_for(delivery.channel).send(to=to, subject=subject, body=body,
                                       idempotency_key=str(delivery.idempotency_key))


REMINDER_SUBJECT = "Your exercises for today"
REMINDER_OPT_OUT = "Replies are not read: to stop these reminders, tell your care team at the clinic."


def reminder_message(patient) -> tuple[str, str]:
    """Short and kind. Anyone may read a phone's lock screen or a shared inbox, so it names neither
    the clinic nor the condition; and since nothing reads replies, the way out is the care team, not
    "Reply STOP"."""
    return (REMINDER_SUBJECT,
            f"Hi {patient.first_name}, your home exercises are ready whenever you are today. "
            f"Even a short session helps. {REMINDER_OPT_OUT}")


def _after_failure(delivery: ReminderDelivery, error: Exception, now: dt.datetime) -> str:
    sending = ReminderDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING)
    message = f"{type(error).__name__}: {error}"[:1000]
    if delivery.attempts >= settings.REMINDER_MAX_ATTEMPTS:
        sending.update(status=Status.FAILED, last_error=message)
        return Status.FAILED
    backoff = dt.timedelta(seconds=min(60 * 2 ** (delivery.attempts - 1), 3600))
    sending.update(status=Status.PENDING, next_attempt_at=now + backoff, enqueued_at=None, last_error=message)
    return Status.PENDING


def recover_stuck(*, now: dt.datetime) -> int:
    """Rows in `sending` for longer than any send takes lost their worker. Ask the channel:
    delivered → sent; not delivered → pending again; cannot tell → failed (never sent twice)."""
    stuck = ReminderDelivery.objects.filter(
        status=Status.SENDING, sending_started_at__lt=now - dt.timedelta(seconds=settings.REMINDER_STUCK_AFTER_SECONDS))
    settled = 0
    for delivery in stuck.only("id", "channel", "idempotency_key", "sending_started_at"):
        try:
            delivered = channel_for(delivery.channel).delivered(str(delivery.idempotency_key))
        except (OSError, DatabaseError):
            continue
        row = ReminderDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING,
                                              sending_started_at=delivery.sending_started_at)
        if delivered is True:
            settled += row.update(status=Status.SENT, sent_at=now, last_error="Confirmed by the channel after a crash.")
        elif delivered is False:
            settled += row.update(status=Status.PENDING, enqueued_at=None, next_attempt_at=None,
                                  last_error="Not delivered before a crash; will be sent again.")
        else:
            settled += row.update(status=Status.FAILED,
                                  last_error="The worker stopped mid-send and the channel cannot confirm delivery; "
                                             "not re-sent, to avoid a duplicate.")
    return settled
