"""Redis that hangs or refuses writes (issue 10 §3): a committed clinical write still answers at once,
its alert waits in the outbox and goes out once; what truly needs Redis answers 503, never 500."""

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
import redis
from django.core import mail

from config import embedded
from core import outbox
from core.models import OutboxMessage
from outcomes.models import Assessment
from patients.models import Alert
from tests.celery_harness import eager_off
from tests.factories import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
PHQ9_ITEM_9_IS_2 = [1, 1, 0, 0, 0, 0, 0, 0, 2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def tcp_redis():
    """A Redis of the test's own on TCP: a SIGSTOPped one still accepts connections (the kernel's
    backlog) and answers nothing, as a hung server does."""
    directory = Path(tempfile.mkdtemp(prefix="mx-"))
    port = free_port()
    embedded.start_redis(port=port, directory=directory)
    pid = int((directory / "redis.pid").read_text())
    try:
        yield f"redis://127.0.0.1:{port}", pid
    finally:
        for signum in (signal.SIGCONT, signal.SIGTERM):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        shutil.rmtree(directory, ignore_errors=True)


def post_phq9(api, patient):
    return api.post("/api/v1/assessments/", {"patient": patient.pk, "instrument": "phq9", "answers": PHQ9_ITEM_9_IS_2,
                                             "collected_at": dt.datetime.now(dt.UTC).isoformat()}, format="json")


def in_thread(call, timeout: float):
    """Run `call` in a thread for at most `timeout` seconds: (finished, its answer, seconds taken)."""
    answer = {}
    started = time.monotonic()
    thread = threading.Thread(target=lambda: answer.setdefault("value", call()), daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive(), answer.get("value"), time.monotonic() - started


def test_a_hung_broker_does_not_hold_a_committed_write_and_its_alert_is_emailed_once(tcp_redis, api, patient):
    url, pid = tcp_redis
    with eager_off(url):
        os.kill(pid, signal.SIGSTOP)
        finished, response, seconds = in_thread(lambda: post_phq9(api, patient), timeout=30)
        os.kill(pid, signal.SIGCONT)
        assert finished and seconds < 10, f"the request took {seconds:.1f} s"
    assert response.status_code == 201, response.content
    alert = Alert.objects.get(patient=patient, kind="safety")
    assert list(OutboxMessage.objects.values_list("status", flat=True)) == ["pending"]
    assert outbox.drain().delivered == 1 and outbox.drain().delivered == 0
    assert len(mail.outbox) == 1 and str(alert.pk) not in mail.outbox[0].subject


def test_the_fast_path_to_a_hung_broker_returns_false_within_seconds(tcp_redis, django_capture_on_commit_callbacks):
    url, pid = tcp_redis
    message = OutboxMessage.objects.create(handler="tests.core.outbox_handlers.record", payload={"n": 1})
    with eager_off(url):
        os.kill(pid, signal.SIGSTOP)
        finished, published, seconds = in_thread(lambda: outbox.publish(message.pk), timeout=30)
        os.kill(pid, signal.SIGCONT)
    assert finished and published is False and seconds < 10


@pytest.fixture
def redis_refusing_writes(tcp_redis, settings):
    """Redis up but out of memory (maxmemory 1, noeviction): every write answers an OOM error."""
    url, _ = tcp_redis
    client = redis.Redis.from_url(url)
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", "1")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    with pytest.raises(redis.exceptions.ResponseError):
        client.set("probe", "x")
    return url


def test_a_broker_refusing_writes_does_not_fail_a_committed_write(redis_refusing_writes, api, patient, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}  # throttles work
    with eager_off(redis_refusing_writes):
        response = post_phq9(api, patient)
    assert response.status_code == 201, response.content
    assert list(OutboxMessage.objects.values_list("status", flat=True)) == ["pending"]


def test_redis_refusing_writes_answers_503_never_500(redis_refusing_writes, client, api, patient, pt):
    with eager_off(redis_refusing_writes):
        login = client.post("/api/v1/auth/token/", {"email": pt.email, "password": PASSWORD},
                            content_type="application/json")
        write = post_phq9(api, patient)
    assert login.status_code == 503 and login["Retry-After"] == "30"
    assert write.status_code in (201, 503), write.content
    if write.status_code == 503:
        assert not Assessment.objects.exists() and not OutboxMessage.objects.exists()
