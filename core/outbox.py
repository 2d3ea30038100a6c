"""The transactional outbox (DESIGN.md, reliability): what must not be lost (safety and red-flag
alerts, report dispatch) is a row written in the same transaction as the fact it announces.

The database, not the broker, is the source of truth, as for reminders (coaching/services/reminders.py):
- after the commit, a fast path asks a worker to deliver the row now; if the broker is down the
  request is not failed, the row simply waits;
- a beat task (every 30 s) drains what is due: it claims rows one at a time with
  FOR UPDATE SKIP LOCKED, so two drains (or a drain and the fast path) never run the same row;
- a delivery moves `pending → sending → sent`; a failure goes back to `pending` with a capped
  exponential backoff, and after OUTBOX_MAX_ATTEMPTS to `failed` (logged as an error), except for
  handlers marked `@never_give_up` (safety alerts): an outage delays them, it never loses them;
- each drain stops claiming after OUTBOX_DRAIN_SECONDS, so drains do not pile up behind a slow
  provider; a row's `sending_started_at` is the moment it was claimed, not the drain's start;
- a row left in `sending` by a killed worker is delivered again: handlers are idempotent, and an
  e-mail carries a Message-ID made from the row's idempotency key. For an alert, a possible
  duplicate e-mail after a crash is the right side to err on; a lost one is not acceptable.
"""

import datetime as dt
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from core.models import OutboxMessage

logger = logging.getLogger("moverx.outbox")
Status = OutboxMessage.Status
UNDELIVERED = [Status.PENDING, Status.SENDING]
NOT_SENT = [*UNDELIVERED, Status.FAILED]


@dataclass
class DrainResult:
    recovered: int
    delivered: int
    retrying: int
    failed: int


def outbox_add(*, handler: str, payload: dict, dedupe_key: str = "") -> OutboxMessage | None:
    """Write a message in the current transaction, to be delivered after the commit. With a
    `dedupe_key`, nothing is added while a message with that key is undelivered (returns None)."""
    if dedupe_key and OutboxMessage.objects.filter(dedupe_key=dedupe_key, status__in=UNDELIVERED).exists():
        return None
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(handler=handler, payload=payload, dedupe_key=dedupe_key)
    except IntegrityError:
        if not dedupe_key:
            raise
        return None  # a concurrent writer added the same undelivered message
    # robust: a failing fast path must never turn the committed write into an error
    transaction.on_commit(lambda: publish(message.pk), robust=True)
    return message


def never_give_up(handler):
    """Mark an outbox handler whose messages are retried at the capped backoff for as long as it
    takes, never `failed` (DESIGN.md: an outage delays a safety alert, it never loses it)."""
    handler.outbox_never_give_up = True
    return handler


def publish(message_id: int) -> bool:
    """The fast path: hand the row's id to a worker. Never raises for a broker that is down: the
    committed row waits for the next drain. Returns whether the broker took it.

    Bounded in time: the broker's transport options (CELERY_BROKER_TRANSPORT_OPTIONS) carry socket
    connect and read timeouts, so a hung Redis (accepting connections, answering nothing) costs a
    request a few seconds, not forever."""
    from core.tasks import deliver_outbox_message

    app = deliver_outbox_message.app
    try:
        # one try, no reconnect loop: a request must not wait seconds for a broker that is down
        with app.connection_for_write(transport_options={"max_retries": 0}) as connection:
            deliver_outbox_message.apply_async((message_id,), connection=connection, retry=False)
    except Exception as error:  # noqa: BLE001 - whatever the broker does, the row waits for the drain
        logger.warning("broker unavailable, outbox message %s waits for the drain: %s", message_id, error)
        return False
    return True


def deliver(message_id: int, *, now: dt.datetime | None = None) -> str | None:
    """Deliver one message if it is still due. Returns its new status, or None when it is not
    due or another worker has it."""
    message = _claim(now or timezone.now(), Q(pk=message_id))
    return _run(message, now) if message else None


def drain(*, now: dt.datetime | None = None, limit: int | None = None) -> DrainResult:
    """One beat tick: settle rows stuck in `sending`, then deliver what is due, oldest first, for at
    most OUTBOX_DRAIN_SECONDS (the next tick goes on). `now` (tests) fixes which rows are due."""
    due_at = now or timezone.now()
    result = DrainResult(recovered=recover_stuck(now=due_at), delivered=0, retrying=0, failed=0)
    stop_claiming_at = time.monotonic() + settings.OUTBOX_DRAIN_SECONDS
    for _ in range(limit or settings.OUTBOX_DRAIN_BATCH):
        if time.monotonic() >= stop_claiming_at:
            break
        message = _claim(due_at)
        if message is None:
            break
        status = _run(message, now)
        result.delivered += status == Status.SENT
        result.retrying += status == Status.PENDING
        result.failed += status == Status.FAILED
    return result


def _due(now: dt.datetime) -> Q:
    return Q(status=Status.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def _claim(now: dt.datetime, where: Q | None = None) -> OutboxMessage | None:
    """pending → sending for one row due at `now` that nobody else holds, stamped with the moment
    of the claim: a row claimed late in a long drain must not look stuck already."""
    with transaction.atomic():
        message = (OutboxMessage.objects.select_for_update(skip_locked=True).filter(_due(now) & (where or Q()))
                   .order_by("id").first())
        if message is None:
            return None
        message.status, message.attempts = Status.SENDING, message.attempts + 1
        message.sending_started_at = timezone.now()
        message.save(update_fields=["status", "attempts", "sending_started_at"])
    return message


def _run(message: OutboxMessage, now: dt.datetime | None) -> str:
    # the claim's attempt number fences this run: a run declared stuck cannot overwrite a newer one
    mine = OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING, attempts=message.attempts)
    try:
        import_string(message.handler)(idempotency_key=str(message.idempotency_key), **message.payload)
    except Exception as error:  # noqa: BLE001 - any failure is retried later, with backoff, up to a cap
        return _after_failure(message, mine, error, now)
    mine.update(status=Status.SENT, sent_at=timezone.now(), last_error="")
    return Status.SENT


def _after_failure(message: OutboxMessage, mine, error: Exception, now: dt.datetime | None) -> str:
    text = f"{type(error).__name__}: {error}"[:1000]
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS and not _never_gives_up(message.handler):
        mine.update(status=Status.FAILED, last_error=text)
        logger.error("outbox message %s (%s) failed for good after %d attempts: %s",
                     message.pk, message.handler, message.attempts, text)
        return Status.FAILED
    failed_at = now or timezone.now()  # the backoff counts from the failure, not from the drain's start
    mine.update(status=Status.PENDING, next_attempt_at=failed_at + retry_delay(message.attempts), last_error=text)
    logger.warning("outbox message %s (%s) failed, attempt %d: %s", message.pk, message.handler, message.attempts, text)
    return Status.PENDING


def _never_gives_up(handler: str) -> bool:
    try:
        return getattr(import_string(handler), "outbox_never_give_up", False)
    except ImportError:
        return False


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... up to OUTBOX_RETRY_MAX_SECONDS between attempts."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
    return dt.timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def recover_stuck(*, now: dt.datetime) -> int:
    """Rows in `sending` for longer than any delivery takes lost their worker: deliver them again
    (at least once; handlers are idempotent), unless they used up their attempts."""
    stuck = OutboxMessage.objects.filter(
        status=Status.SENDING,
        sending_started_at__lt=now - dt.timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS))
    persistent = [h for h in stuck.order_by().values_list("handler", flat=True).distinct() if _never_gives_up(h)]
    exhausted = stuck.filter(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS).exclude(handler__in=persistent).update(
        status=Status.FAILED, last_error="The worker stopped mid-delivery, and the attempts are used up.")
    again = stuck.update(status=Status.PENDING, next_attempt_at=None,
                         last_error="The worker stopped mid-delivery; delivering again.")
    if exhausted or again:
        logger.warning("outbox: %d stuck messages will be delivered again, %d failed", again, exhausted)
    return exhausted + again


def outbox_retry_failed(*, message_ids) -> int:
    """An operator sends failed messages again (e.g. after fixing the SMTP settings): they start
    over with a full set of attempts. A message whose dedupe key already has a newer undelivered
    message is left failed (that one carries it). Returns how many."""
    superseded = OutboxMessage.objects.filter(dedupe_key=OuterRef("dedupe_key"), status__in=UNDELIVERED)
    again = (OutboxMessage.objects.filter(pk__in=message_ids, status=Status.FAILED)
             .exclude(~Q(dedupe_key="") & Exists(superseded)))
    # two failed messages of one key: only the newest goes again
    again = again.exclude(~Q(dedupe_key="") & Exists(OutboxMessage.objects.filter(
        dedupe_key=OuterRef("dedupe_key"), pk__in=message_ids, status=Status.FAILED, pk__gt=OuterRef("pk"))))
    return again.update(status=Status.PENDING, attempts=0, next_attempt_at=None,
                        last_error="Sent again by an operator.")


def outbox_undelivered_count(*, older_than: dt.timedelta) -> int:
    """How many messages (failed ones included) have waited longer than `older_than` undelivered.
    Sent rows are most of the table and never leave it: the filter names the others (an index)."""
    return OutboxMessage.objects.filter(status__in=NOT_SENT, created_at__lt=timezone.now() - older_than).count()
