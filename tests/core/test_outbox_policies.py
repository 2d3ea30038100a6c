"""The outbox's policies under time and load (core/outbox.py): a long drain does not make its own rows
look stuck, drains are time-boxed, alerts are never given up, operators see and resend what is late."""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core import outbox
from core.models import OutboxMessage
from patients.services import alert_notify_staff
from tests.core import outbox_handlers

HERE = "tests.core.test_outbox_policies"
RECORD = "tests.core.outbox_handlers.record"


@pytest.fixture(autouse=True)
def _handlers():
    outbox_handlers.calls.clear()
    outbox_handlers.failures_left["count"] = 0


def queued(handler: str, count: int = 1, **fields) -> list[OutboxMessage]:
    """Rows whose fast path never ran (as after a lost on-commit): only a drain delivers them."""
    return [OutboxMessage.objects.create(handler=handler, payload={"n": n}, **fields) for n in range(count)]


def drain_in_another_worker():
    try:
        outbox.drain()
    finally:
        connection.close()


def first_runs_a_second_drain(*, idempotency_key, n):
    """While the first drain delivers, the beat's next drain runs in another worker."""
    outbox_handlers.calls.append({"key": idempotency_key, "n": n})
    if len(outbox_handlers.calls) == 1:
        other = threading.Thread(target=drain_in_another_worker)
        other.start()
        other.join()


@pytest.mark.django_db(transaction=True)
def test_a_row_claimed_late_in_a_long_drain_is_not_taken_for_stuck(settings):
    [message] = queued(f"{HERE}.first_runs_a_second_drain")
    # this drain started longer ago than OUTBOX_STUCK_AFTER_SECONDS (slow earlier rows) and claims it only now
    started = timezone.now() - dt.timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS + 1)
    assert outbox.drain(now=started).delivered == 1
    assert [call["n"] for call in outbox_handlers.calls] == [0]
    row = OutboxMessage.objects.get(pk=message.pk)
    assert (row.status, row.attempts) == ("sent", 1)


def slow(*, idempotency_key, n):
    time.sleep(0.3)
    outbox_handlers.calls.append({"key": idempotency_key, "n": n})


@pytest.mark.django_db
def test_a_drain_stops_claiming_after_its_time_budget(settings):
    settings.OUTBOX_DRAIN_SECONDS = 1
    queued(f"{HERE}.slow", 10)
    first = outbox.drain()
    assert 1 <= first.delivered < 10
    assert OutboxMessage.objects.filter(status="pending").count() == 10 - first.delivered  # the next tick's
    assert not OutboxMessage.objects.filter(status="sending").exists()


@pytest.mark.django_db
def test_a_failure_late_in_a_drain_is_retried_counting_from_the_failure():
    queued(f"{HERE}.slow")  # 0.3 s of delivery before the failing row is claimed
    outbox_handlers.failures_left["count"] = 1
    [failing] = queued(RECORD)
    started = timezone.now()
    outbox.drain()
    row = OutboxMessage.objects.get(pk=failing.pk)
    assert row.next_attempt_at >= started + dt.timedelta(seconds=0.3) + outbox.retry_delay(1)


@outbox.never_give_up
def always_down(*, idempotency_key, n):
    raise ConnectionRefusedError("the SMTP server is down")


@pytest.mark.django_db
def test_a_never_give_up_message_keeps_retrying_at_the_cap_past_the_attempts(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    [message] = queued(f"{HERE}.always_down")
    now = timezone.now()
    for _ in range(6):
        assert outbox.drain(now=now).retrying == 1
        now = OutboxMessage.objects.get(pk=message.pk).next_attempt_at
    row = OutboxMessage.objects.get(pk=message.pk)
    assert (row.status, row.attempts) == ("pending", 6)
    # a worker killed mid-delivery on its last attempt: delivered again, not failed
    long_ago = timezone.now() - dt.timedelta(seconds=settings.OUTBOX_STUCK_AFTER_SECONDS + 1)
    OutboxMessage.objects.filter(pk=message.pk).update(status="sending", sending_started_at=long_ago)
    assert outbox.recover_stuck(now=timezone.now()) == 1
    assert OutboxMessage.objects.get(pk=message.pk).status == "pending"


@pytest.mark.django_db
def test_an_ordinary_message_still_fails_at_the_cap(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    outbox_handlers.failures_left["count"] = 5
    [message] = queued(RECORD)
    now = timezone.now()
    outbox.drain(now=now)
    assert outbox.drain(now=OutboxMessage.objects.get(pk=message.pk).next_attempt_at).failed == 1


def test_safety_and_red_flag_alert_emails_are_never_given_up():
    assert getattr(alert_notify_staff, "outbox_never_give_up", False) is True


@pytest.mark.django_db
def test_healthz_reports_messages_undelivered_for_too_long_and_stays_200(client, settings):
    settings.OUTBOX_HEALTH_UNDELIVERED_MINUTES = 15
    late, _fresh, failed, sent = queued(RECORD, 4)
    long_ago = timezone.now() - dt.timedelta(minutes=16)
    OutboxMessage.objects.filter(pk__in=[late.pk, failed.pk, sent.pk]).update(created_at=long_ago)
    OutboxMessage.objects.filter(pk=failed.pk).update(status="failed")
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok", "outbox": "2 undelivered for > 15 min"}
    OutboxMessage.objects.filter(pk__in=[late.pk, failed.pk]).update(status="sent")
    assert client.get("/healthz").json()["outbox"] == "ok"


@pytest.mark.django_db
def test_sending_again_a_failed_message_whose_key_has_a_newer_undelivered_one_does_not_500(client, admin_user):
    [old] = queued(RECORD, dedupe_key="report:7", status="failed", attempts=12)
    [other_old] = queued(RECORD, status="failed", attempts=12)
    newer = OutboxMessage.objects.create(handler=RECORD, payload={"n": 9}, dedupe_key="report:7")  # pending
    client.force_login(admin_user)
    response = client.post("/admin/core/outboxmessage/", {"action": "send_again",
                                                          "_selected_action": [old.pk, other_old.pk]})
    assert response.status_code == 302
    statuses = dict(OutboxMessage.objects.values_list("pk", "status"))
    assert statuses == {old.pk: "failed", other_old.pk: "pending", newer.pk: "pending"}


@pytest.mark.django_db
def test_sending_again_two_failed_messages_of_one_key_sends_the_newest():
    first, second = queued(RECORD, 2, dedupe_key="report:8", status="failed")
    assert outbox.outbox_retry_failed(message_ids=[first.pk, second.pk]) == 1
    assert dict(OutboxMessage.objects.values_list("pk", "status")) == {first.pk: "failed", second.pk: "pending"}


@pytest.mark.django_db(transaction=True)
def test_a_row_another_worker_is_claiming_does_not_stall_the_drain():
    held, *_others = queued(RECORD, 3)
    locked, release = threading.Event(), threading.Event()

    def claiming_worker():  # holds the row's lock, as a claim in progress does
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    worker = threading.Thread(target=claiming_worker)
    worker.start()
    try:
        assert locked.wait(10)
        result = {}
        drainer = threading.Thread(target=lambda: (result.setdefault("r", outbox.drain()), connection.close()))
        drainer.start()
        drainer.join(5)
        assert not drainer.is_alive(), "the drain waited for the locked row"
    finally:
        release.set()
        worker.join()
        drainer.join()
    assert result["r"].delivered == 2 and sorted(call["n"] for call in outbox_handlers.calls) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_healthz_names_the_database_when_it_is_down(client):
    """Each request runs in a transaction (ATOMIC_REQUESTS), which needs the database: the health
    check must not, or a database outage is a bare 500 instead of the answer that names it."""
    from django.db import connections

    database = connections["default"]
    saved = dict(database.settings_dict)
    database.close()
    database.settings_dict.update(HOST="/nonexistent-moverx-socket-dir", PORT="1")
    try:
        response = client.get("/healthz")
    finally:
        database.close()
        database.settings_dict.clear()
        database.settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json() == {"database": "unreachable", "redis": "ok", "outbox": "unknown"}
