"""The transactional outbox in one process (core/outbox.py): delivered once, retried with a capped
backoff, settled after a crash, never raising into the request when the broker is down."""

import datetime as dt
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core import outbox
from core.models import OutboxMessage
from tests.celery_harness import eager_off
from tests.core import outbox_handlers

HANDLER = "tests.core.outbox_handlers.record"


@pytest.fixture(autouse=True)
def _handlers():
    outbox_handlers.calls.clear()
    outbox_handlers.failures_left["count"] = 0
    yield


def add(n: int = 1, **payload) -> OutboxMessage:
    with transaction.atomic():
        return outbox.outbox_add(handler=HANDLER, payload={"n": n, **payload})


@pytest.mark.django_db
def test_the_drain_runs_every_30_seconds():
    entry = PeriodicTask.objects.get(task="core.tasks.drain_outbox")
    assert entry.enabled and entry.interval.every == 30 and entry.interval.period == "seconds"


@pytest.mark.django_db
def test_a_message_is_delivered_once_by_the_fast_path_or_the_drain(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the fast path, in-process (eager)
        first = add(1)
    second = add(2)  # its fast path never ran (a lost on-commit): the drain delivers it
    assert outbox.drain().delivered == 1
    assert outbox.drain().delivered == 0
    assert outbox.deliver(first.pk) is None  # a second delivery of the fast path's task: nothing happens
    assert [call["n"] for call in outbox_handlers.calls] == [1, 2]
    assert {m.status for m in OutboxMessage.objects.all()} == {"sent"}
    assert outbox_handlers.calls[1]["key"] == str(OutboxMessage.objects.get(pk=second.pk).idempotency_key)


@pytest.mark.django_db
def test_a_rolled_back_write_leaves_no_message():
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.outbox_add(handler=HANDLER, payload={"n": 1})
        raise RuntimeError("the clinical write failed")
    assert not OutboxMessage.objects.exists()
    assert outbox.drain().delivered == 0 and outbox_handlers.calls == []


@pytest.mark.django_db
def test_a_failing_delivery_is_retried_with_backoff_then_failed_at_the_cap(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 4
    outbox_handlers.failures_left["count"] = 10
    message = add()
    now = timezone.now()
    waits = []
    for _ in range(3):
        assert outbox.drain(now=now).retrying == 1
        row = OutboxMessage.objects.get(pk=message.pk)
        waits.append(row.next_attempt_at - now)
        assert outbox.drain(now=row.next_attempt_at - dt.timedelta(seconds=1)).retrying == 0  # not before its time
        now = row.next_attempt_at
    assert waits == [dt.timedelta(seconds=30), dt.timedelta(seconds=60), dt.timedelta(seconds=120)]
    assert outbox.drain(now=now).failed == 1
    row = OutboxMessage.objects.get(pk=message.pk)
    assert (row.status, row.attempts, "ConnectionRefusedError" in row.last_error) == ("failed", 4, True)
    assert outbox_handlers.calls == []


@pytest.mark.django_db
def test_a_transient_failure_is_delivered_on_the_next_attempt():
    outbox_handlers.failures_left["count"] = 1
    message = add()
    now = timezone.now()
    outbox.drain(now=now)
    assert outbox.drain(now=now + outbox.retry_delay(1)).delivered == 1
    row = OutboxMessage.objects.get(pk=message.pk)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    assert len(outbox_handlers.calls) == 1


def test_backoff_is_capped(settings):
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600
    assert outbox.retry_delay(1) == dt.timedelta(seconds=30)
    assert outbox.retry_delay(20) == dt.timedelta(hours=1)


@pytest.mark.django_db
def test_a_message_stuck_in_sending_by_a_dead_worker_is_delivered_again(settings):
    message = add()
    long_ago = timezone.now() - dt.timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS + 1)
    OutboxMessage.objects.filter(pk=message.pk).update(status="sending", attempts=1, sending_started_at=long_ago)
    recent = add(2)
    OutboxMessage.objects.filter(pk=recent.pk).update(status="sending", attempts=1, sending_started_at=timezone.now())
    result = outbox.drain()
    assert (result.recovered, result.delivered) == (1, 1)
    assert [call["n"] for call in outbox_handlers.calls] == [1]  # the one still sending is left alone
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 2


@pytest.mark.django_db
def test_one_undelivered_message_per_dedupe_key():
    with transaction.atomic():
        first = outbox.outbox_add(handler=HANDLER, payload={"n": 1}, dedupe_key="report:7")
        assert outbox.outbox_add(handler=HANDLER, payload={"n": 1}, dedupe_key="report:7") is None
    outbox.drain()
    with transaction.atomic():  # delivered: the key is free again
        again = outbox.outbox_add(handler=HANDLER, payload={"n": 1}, dedupe_key="report:7")
    assert first and again and OutboxMessage.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_fast_path_never_raises_into_the_request_when_the_broker_is_down():
    nowhere = f"unix://{Path(tempfile.mkdtemp(prefix='mx-'))}/no-redis.sock"  # no server listens there
    with eager_off(nowhere):
        with transaction.atomic():
            message = outbox.outbox_add(handler=HANDLER, payload={"n": 1})
        assert outbox.publish(message.pk) is False
    row = OutboxMessage.objects.get(pk=message.pk)
    assert (row.status, row.attempts) == ("pending", 0)  # waiting for the drain
    assert outbox.drain().delivered == 1 and len(outbox_handlers.calls) == 1


def record_slowly(*, idempotency_key, n):
    time.sleep(0.02)  # long enough for the two drains to overlap on every row
    outbox_handlers.record(idempotency_key=idempotency_key, n=n)


@pytest.mark.django_db(transaction=True)
def test_two_drains_at_the_same_time_deliver_each_message_once():
    # rows whose fast path never ran: only the drains deliver them
    OutboxMessage.objects.bulk_create(
        OutboxMessage(handler="tests.core.test_outbox.record_slowly", payload={"n": n}) for n in range(30))
    barrier = threading.Barrier(2)
    results = []

    def drain():
        barrier.wait()
        try:
            results.append(outbox.drain())
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    delivered = [result.delivered for result in results]
    assert sum(delivered) == 30 and min(delivered) > 0, delivered  # both drains worked, side by side
    assert sorted(call["n"] for call in outbox_handlers.calls) == list(range(30))
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db
def test_an_admin_sends_failed_messages_again(client, admin_user):
    failed, sent = add(1), add(2)
    OutboxMessage.objects.filter(pk=failed.pk).update(status="failed", attempts=12, last_error="SMTP refused")
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent", attempts=1)
    client.force_login(admin_user)
    response = client.post("/admin/core/outboxmessage/", {"action": "send_again",
                                                          "_selected_action": [failed.pk, sent.pk]})
    assert response.status_code == 302
    assert outbox.drain().delivered == 1 and [call["n"] for call in outbox_handlers.calls] == [1]
    assert OutboxMessage.objects.get(pk=failed.pk).attempts == 1
