"""The production settings pass Django's deployment checklist, and the project finds its services
the way DESIGN.md says: the URLs when given, the embedded servers otherwise."""

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, env, timeout=120):
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def base_env(**extra):
    unset = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(extra)
    return env


def test_check_deploy_with_production_settings_is_clean():
    env = base_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DATABASE_URL=settings.DATABASE_URL,
        REDIS_URL=settings.REDIS_URL,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="moverx.example.org",
    )
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_service_urls():
    env = base_env(DJANGO_SETTINGS_MODULE="config.settings.production", DJANGO_SECRET_KEY=secrets.token_urlsafe(64))
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


@pytest.mark.slow
def test_without_urls_the_embedded_servers_start_and_are_shared(tmp_path):
    """A fresh data directory: the first command starts PostgreSQL and Redis, the next attaches."""
    env = base_env(DJANGO_SETTINGS_MODULE="config.settings.local", MOVERX_DATA_DIR=str(tmp_path / "data"))
    code = ("from django.conf import settings; from django.db import connection; import redis;"
            "connection.ensure_connection(); print(settings.DATABASE_URL); print(settings.REDIS_URL);"
            "print(redis.Redis.from_url(settings.REDIS_URL).ping())")
    try:
        first = manage("shell", "-c", code, env=env)
        assert first.returncode == 0, first.stderr
        database_url, redis_url, pong = first.stdout.split()[-3:]
        assert str(tmp_path) in database_url and str(tmp_path) in redis_url and pong == "True"
        second = manage("shell", "-c", code, env=env)
        assert second.stdout.split()[-3:] == [database_url, redis_url, "True"]
    finally:
        stop = "from config import embedded; embedded.stop_redis(); embedded.stop_postgres()"
        subprocess.run([sys.executable, "-c", stop], cwd=ROOT, env=env, check=True, timeout=60)


def _reachable(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_with_urls_the_given_servers_are_used(tmp_path):
    """The machine's own PostgreSQL and Redis when they run (as on this CI machine), else the suite's."""
    if _reachable(5432) and _reachable(6379):
        database_url, redis_url = "postgresql://postgres@127.0.0.1:5432/postgres", "redis://127.0.0.1:6379/15"
    else:
        database_url, redis_url = settings.DATABASE_URL, settings.REDIS_URL
    env = base_env(DJANGO_SETTINGS_MODULE="config.settings.local", MOVERX_DATA_DIR=str(tmp_path / "unused"),
                   DATABASE_URL=database_url, REDIS_URL=redis_url)
    code = ("from django.conf import settings; from django.db import connection; import redis;"
            "connection.ensure_connection();"
            "print(settings.DATABASE_URL, redis.Redis.from_url(settings.REDIS_URL).ping())")
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == [database_url, "True"]
    assert not (tmp_path / "unused").exists()
