"""Reminders under faults, with real processes: a Celery worker on its own real Redis, against the
test database. Each test ends the same way: every due reminder delivered exactly once (the rows
and what the channel received agree, key for key)."""

import datetime as dt
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from coaching.channels import LoggingChannel
from coaching.models import ReminderDelivery
from coaching.services import reminders
from tests.celery_harness import RedisServer, celery_worker, eager_off
from tests.factories import CarePlanFactory, PatientFactory, UserFactory, today

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PATIENTS = 60


@pytest.fixture
def scene(clinic, settings):
    """60 patients due for a reminder, a Redis of the test's own, and the channel's outbox."""
    clinic.quiet_hours_start = clinic.quiet_hours_end = dt.time(0, 0)  # no quiet hours: any time of day
    clinic.save()
    pt = UserFactory(clinic=clinic)
    for _ in range(PATIENTS):
        CarePlanFactory(patient=PatientFactory(clinic=clinic, timezone="UTC"), lead_pt=pt, status="active",
                        start_date=today() - dt.timedelta(days=10))
    directory = Path(tempfile.mkdtemp(prefix="mx-"))  # short: Unix socket paths are limited
    redis = RedisServer(directory / "redis").start()
    outbox = directory / "outbox.log"
    settings.REMINDER_CHANNELS = {"email": "tests.coaching.channels.SlowLoggingChannel", "sms": "x"}
    settings.REMINDER_LOG_FILE = str(outbox)
    settings.REMINDER_BATCH_SIZE = 10
    settings.REMINDER_STUCK_AFTER_SECONDS = 2
    settings.REMINDER_REENQUEUE_AFTER_SECONDS = 3
    worker_env = {"REMINDER_EMAIL_CHANNEL": "tests.coaching.channels.SlowLoggingChannel",
                  "REMINDER_LOG_FILE": str(outbox), "CELERY_VISIBILITY_TIMEOUT": "4"}
    try:
        yield redis, LoggingChannel(str(outbox)), worker_env
    finally:
        redis.stop()
        shutil.rmtree(directory, ignore_errors=True)


def drain(timeout=90):
    """Sweep now and then (settling stuck rows, re-enqueueing lost ones) until nothing is pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not ReminderDelivery.objects.filter(status__in=["pending", "sending"]).exists():
            return
        reminders.sweep()
        time.sleep(1)
    raise AssertionError(list(ReminderDelivery.objects.values_list("status", flat=True)))


def assert_exactly_once(channel):
    rows = list(ReminderDelivery.objects.all())
    assert len(rows) == PATIENTS and {row.status for row in rows} == {"sent"}
    sent = channel.sent_keys()
    assert len(sent) == len(set(sent)), "a reminder reached a patient twice"
    assert sorted(sent) == sorted(str(row.idempotency_key) for row in rows)


def wait_for_lines(channel, count, timeout=60):
    deadline = time.monotonic() + timeout
    while len(channel.sent_keys()) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(channel.sent_keys()) >= count


def test_a_worker_killed_mid_batch(scene):
    redis, channel, env = scene
    with eager_off(redis.url):
        assert reminders.sweep().enqueued == PATIENTS
        with celery_worker(redis_url=redis.url, env=env) as worker:
            wait_for_lines(channel, 15)
            worker.signal(signal.SIGKILL)  # the worker and its pool child, mid-batch
            worker.popen.wait(10)
        assert 15 <= len(channel.sent_keys()) < PATIENTS
        with celery_worker(redis_url=redis.url, env=env):
            drain()
    assert_exactly_once(channel)


def test_redis_stopped_and_restarted_during_a_sweep(scene):
    redis, channel, env = scene
    from coaching.tasks import send_reminders

    batches = []

    def enqueue(ids):
        batches.append(ids)
        if len(batches) == 3:
            redis.stop()  # the broker goes away in the middle of the sweep
        send_reminders.delay(ids)

    with eager_off(redis.url), celery_worker(redis_url=redis.url, env=env):
        result = reminders.sweep(enqueue=enqueue)
        assert result.enqueued == 20  # two batches got through; the rest were released
        assert ReminderDelivery.objects.filter(enqueued_at__isnull=True).count() == PATIENTS - 20
        redis.start()
        drain()
    assert_exactly_once(channel)


def test_two_sweeps_at_the_same_time(scene):
    redis, channel, env = scene
    barrier, results = threading.Barrier(2), []

    def sweep():
        barrier.wait()
        try:
            results.append(reminders.sweep())
        finally:
            connection.close()

    with eager_off(redis.url), celery_worker(redis_url=redis.url, env=env, concurrency=2):
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(r.created for r in results) == PATIENTS  # the unique constraint: no row twice
        assert sum(r.enqueued for r in results) == PATIENTS  # SKIP LOCKED: no id handed out twice
        drain()
    assert_exactly_once(channel)
