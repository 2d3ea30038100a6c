"""A safety alert is never lost (issue 10 §3), with real processes: a Redis of the test's own that
is down when the clinical write arrives, then a real Celery worker (and beat) once it is back."""

import datetime as dt
import shutil
import signal
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.utils import timezone

from core.models import OutboxMessage
from core.tasks import drain_outbox
from outcomes import services as outcome_services
from outcomes.models import OutcomeReport
from patients.models import Alert
from tests import celery_harness, mailbox
from tests.celery_harness import Process, RedisServer, celery_worker, eager_off, worker_env
from tests.factories import today
from tests.outcomes.test_report_api import REQUEST, scored_plan

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PHQ9_ITEM_9_IS_2 = [1, 1, 0, 0, 0, 0, 0, 0, 2]


@pytest.fixture
def scene():
    """A Redis of the test's own, not started (the broker is down), and the workers' mailbox."""
    directory = Path(tempfile.mkdtemp(prefix="mx-"))  # short: Unix socket paths are limited
    redis = RedisServer(directory / "redis")
    (directory / "redis").mkdir()
    mail = directory / "mail.jsonl"
    env = {"TEST_EMAIL_BACKEND": mailbox.BACKEND, "TEST_EMAIL_FILE": str(mail), "CELERY_VISIBILITY_TIMEOUT": "4"}
    try:
        yield redis, mail, env
    finally:
        if Path(redis.socket).exists():
            redis.stop()
        shutil.rmtree(directory, ignore_errors=True)


def wait_until(condition, timeout=60, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def all_delivered() -> bool:
    return set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def deliver_after_redis_returns(redis, env) -> None:
    """Redis comes back; a worker starts; the beat's drain (sent here by hand) delivers the outbox."""
    redis.start()
    with celery_worker(redis_url=redis.url, env=env):
        drain_outbox.delay()
        wait_until(all_delivered, what="the outbox delivery")


def assert_one_email_to(mail, alert, *recipients):
    sent = mailbox.read(mail)
    assert len(sent) == 1, sent
    assert sorted(sent[0]["to"]) == sorted(recipients)
    assert str(OutboxMessage.objects.get(payload={"alert_id": alert.pk}).idempotency_key) in sent[0]["message_id"]


def test_a_safety_alert_written_while_redis_is_down_is_emailed_once_when_it_returns(scene, api, patient, pt,
                                                                                     coach):
    redis, mail, env = scene
    with eager_off(redis.url):
        response = api.post("/api/v1/assessments/", {
            "patient": patient.pk, "instrument": "phq9", "answers": PHQ9_ITEM_9_IS_2,
            "collected_at": dt.datetime.now(dt.UTC).isoformat()}, format="json")
        assert response.status_code == 201, response.content
        alert = Alert.objects.get(patient=patient, kind="safety", source_id=response.json()["id"])
        assert OutboxMessage.objects.get().status == "pending"
        deliver_after_redis_returns(redis, env)
    assert_one_email_to(mail, alert, pt.email, coach.email)


def test_a_red_flag_intake_while_redis_is_down_is_emailed_once_when_it_returns(scene, api, pt, coach):
    redis, mail, env = scene
    intake = {"first_name": "Maria", "last_name": "Lopez", "date_of_birth": "1980-03-02", "sex": "female",
              "email": "maria@example.org", "timezone": "America/Chicago", "reminder_channel": "email",
              "pain_region": "low_back", "pain_onset_date": (today() - dt.timedelta(days=20)).isoformat(),
              "red_flags": ["saddle_anaesthesia"], "primary_pt": pt.pk, "coach": coach.pk}
    with eager_off(redis.url):
        response = api.post("/api/v1/patients/", intake, format="json")
        assert response.status_code == 201, response.content
        alert = Alert.objects.get(patient_id=response.json()["id"], kind="red_flag")
        assert OutboxMessage.objects.get().status == "pending"
        deliver_after_redis_returns(redis, env)
    assert_one_email_to(mail, alert, pt.email, coach.email)


@contextmanager
def celery_beat(redis_url: str):
    """A real `celery beat` on the database schedule (the migrations' entries)."""
    beat = Process([sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                    "--schedule", "/dev/null"], worker_env(redis_url))
    try:
        yield beat
    finally:
        beat.stop()


def test_a_report_requested_while_redis_is_down_starts_within_a_minute_of_its_return(scene, client_for, manager,
                                                                                      clinic):
    redis, _, env = scene
    scored_plan(clinic, manager, dt.date(2026, 2, 1), 8, 2)
    with eager_off(redis.url):
        response = client_for(manager).post("/api/v1/reports/outcomes/", REQUEST, format="json")
        assert response.status_code == 202, response.content
        assert OutboxMessage.objects.get().status == "pending"
        redis.start()
        returned = time.monotonic()
        with celery_worker(redis_url=redis.url, env=env), celery_beat(redis.url):
            wait_until(lambda: OutcomeReport.objects.get().status == "done", timeout=75, what="the report")
    assert time.monotonic() - returned < 60
    assert all_delivered()


def test_a_report_whose_worker_was_killed_is_run_again_automatically(scene, client_for, manager, clinic, settings):
    redis, _, env = scene
    scored_plan(clinic, manager, dt.date(2026, 2, 1), 8, 2)
    redis.start()
    with eager_off(redis.url):
        # the report's first query waits on this lock, so the worker is surely killed mid-run
        with psycopg.connect(celery_harness.test_database_url()) as lock:
            lock.execute("LOCK TABLE careplans_careplan IN ACCESS EXCLUSIVE MODE")
            with celery_worker(redis_url=redis.url, env=env) as worker:
                report_id = client_for(manager).post("/api/v1/reports/outcomes/", REQUEST, format="json").json()["id"]
                wait_until(lambda: OutcomeReport.objects.get().status == "running", what="the run")
                worker.signal(signal.SIGKILL)  # the worker and its pool child
                worker.popen.wait(10)
            lock.rollback()
        with celery_worker(redis_url=redis.url, env=env):
            time.sleep(6)  # the killed run's task comes back (visibility timeout): it finds the report taken
            assert OutcomeReport.objects.get().status == "running"
            # a few minutes later, the beat's sweep finds the run silent and starts it again
            silent_since = dt.timedelta(seconds=settings.REPORT_HEARTBEAT_STALE_SECONDS + 1)
            assert outcome_services.reports_settle_stale(now=timezone.now() + silent_since) == (1, 0)
            wait_until(lambda: OutcomeReport.objects.get().status == "done", what="the second run")
    report = OutcomeReport.objects.get(pk=report_id)
    assert (report.attempts, report.results["results"]["pain"]["n_completers"]) == (2, 1)
