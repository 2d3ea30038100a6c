"""`make run` (manage.py serve) never leaves servers behind: however it stops, its children and the
embedded PostgreSQL and Redis of its data directory stop too, unless another live process uses
them; a run killed outright is cleaned up by the next one (issue 10, §1)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from config import embedded
from demo.management.commands import serve
from tests.celery_harness import Process
from tests.test_deployment import ROOT, base_env

pytestmark = pytest.mark.slow
START_TIMEOUT = 300  # a fresh data directory: initdb and every migration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """One data directory for the module (initdb and migrations once); every test leaves it stopped."""
    return tmp_path_factory.mktemp("serve") / "data"


def serve_env(data_dir: Path) -> dict:
    return base_env(DJANGO_SETTINGS_MODULE="config.settings.local", MOVERX_DATA_DIR=str(data_dir))


def start_serve(data_dir: Path, port: int) -> Process:
    """`manage.py serve` in its own process group, once its web server answers."""
    process = Process([sys.executable, "manage.py", "serve", "--no-demo", "--port", str(port)], serve_env(data_dir))
    started.append(process)
    process.wait_for("MoveRx is running", timeout=START_TIMEOUT)
    deadline = time.monotonic() + 60
    while not _answers(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    started.extend(psutil.Process(pid) for pid in children_of(process))
    return process


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


started: list[Process | psutil.Process] = []  # to kill if a test fails half-way


@pytest.fixture(autouse=True)
def _leave_nothing_running(data_dir):
    """Whatever a failing test left: its serve processes, then the servers of the data directory."""
    yield
    for process in started:
        if isinstance(process, Process):
            process.signal(signal.SIGKILL)
        elif process.is_running():
            process.kill()
    started.clear()
    with embedded_at(data_dir):
        embedded.stop_redis()
        embedded.stop_postgres()


def server_pids(data_dir: Path) -> list[int]:
    """The processes of this data directory's servers (postgres -D <dir>, redis-server on its socket)."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        if str(data_dir) in " ".join(process.info["cmdline"] or []):
            found.append(process.info["pid"])
    return found


def children_of(process: Process) -> list[int]:
    return [child.pid for child in psutil.Process(process.popen.pid).children(recursive=True)]


def assert_gone(pids) -> None:
    deadline = time.monotonic() + 30
    while (alive := [pid for pid in pids if psutil.pid_exists(pid)
                     and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive, [psutil.Process(pid).cmdline() for pid in alive]


def stop(process: Process) -> int:
    process.signal(signal.SIGTERM)
    return process.popen.wait(60)


def test_a_killed_run_is_cleaned_up_by_the_next(data_dir):
    port = free_port()
    first = start_serve(data_dir, port)
    servers, children = server_pids(data_dir), children_of(first)
    assert len(servers) >= 2 and len(children) >= 3  # web, worker (and its pool), beat

    first.signal(signal.SIGKILL)  # no clean-up possible
    first.popen.wait(10)

    # Its children got SIGTERM as it died (Linux); a straggler is stopped by the next run at start.
    second = start_serve(data_dir, port)  # the same port: nothing of the first holds it
    assert_gone(children)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
        assert json.load(answer) == {"database": "ok", "redis": "ok", "outbox": "ok"}
    later_children = children_of(second)
    assert stop(second) == 0
    assert "Embedded PostgreSQL and Redis stopped." in second.lines
    assert_gone(servers + later_children)
    assert server_pids(data_dir) == []
    assert list((data_dir / "serve").glob("*.json")) == []


def test_a_crash_while_seeding_stops_the_servers(data_dir):
    """The defect as reported: seed_demo raised, and PostgreSQL and Redis kept running."""
    crash = ("import django; django.setup()\n"
             "from demo.management.commands import seed_demo\n"
             "def crash(**options): raise RuntimeError('An assessment cannot be collected in the future')\n"
             "seed_demo.seed_demo = crash\n"
             "from django.core.management import call_command\n"
             f"call_command('serve', port='{free_port()}')\n")
    result = subprocess.run([sys.executable, "-c", crash], cwd=ROOT, env=serve_env(data_dir), capture_output=True,
                            text=True, timeout=START_TIMEOUT)
    assert result.returncode != 0
    assert "cannot be collected in the future" in result.stderr
    assert "Embedded PostgreSQL and Redis stopped." in result.stdout
    assert server_pids(data_dir) == []


def test_a_child_that_dies_stops_the_run_and_the_servers(data_dir):
    with socket.socket() as taken:  # the web server cannot bind: it exits at once
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = Process([sys.executable, "manage.py", "serve", "--no-demo", "--port", str(port)],
                          serve_env(data_dir))
        assert process.popen.wait(START_TIMEOUT) == 1
    assert any("web exited" in line for line in process.lines), process.lines[-20:]
    assert server_pids(data_dir) == []


def test_servers_another_process_uses_are_left_running(data_dir):
    """A shell (or a test run) attached to the same servers keeps them; the next run stops them."""
    holder = Process([sys.executable, "manage.py", "shell", "-c",
                      "from django.db import connection; connection.ensure_connection(); print('attached');"
                      "import time; time.sleep(600)"], serve_env(data_dir))
    try:
        holder.wait_for("attached", timeout=START_TIMEOUT)
        run = start_serve(data_dir, free_port())
        assert stop(run) == 0
        assert any("another process is using them" in line for line in run.lines)
        with embedded_at(data_dir):
            assert embedded.postgres_running() and embedded.redis_running()
    finally:
        holder.signal(signal.SIGKILL)
        holder.popen.wait(10)
    run = start_serve(data_dir, free_port())
    assert stop(run) == 0
    assert server_pids(data_dir) == []


@contextmanager
def embedded_at(data_dir: Path):
    """Point config.embedded at another data directory for a moment (read-only checks)."""
    paths = {"DATA_DIR": data_dir, "PG_DIR": data_dir / "postgres", "REDIS_DIR": data_dir / "redis"}
    saved = {name: getattr(embedded, name) for name in paths}
    for name, value in paths.items():
        setattr(embedded, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(embedded, name, value)


def detached_sleep() -> psutil.Process:
    """A process in its own session that is not this test's child, like a killed run's orphan."""
    pid = subprocess.run(["sh", "-c", "setsid sleep 120 >/dev/null 2>&1 & echo $!"], capture_output=True, text=True,
                         check=True).stdout
    return psutil.Process(int(pid))


def test_children_of_a_dead_run_are_stopped_and_a_live_runs_are_not(tmp_path):
    """Without Linux's parent-death signal (or if it raced), the record under .data/serve/ is what
    lets the next run find them; a pid is checked with its start time, since pids are reused."""
    dead = subprocess.Popen(["true"])
    dead_identity = [dead.pid, psutil.Process(dead.pid).create_time()]
    dead.wait()
    orphan, kept = detached_sleep(), detached_sleep()
    records = tmp_path / "serve"
    records.mkdir()
    (records / "1.json").write_text(json.dumps(
        {"serve": dead_identity, "children": {"web": [orphan.pid, orphan.create_time()]}}))
    (records / "2.json").write_text(json.dumps(
        {"serve": [os.getpid(), psutil.Process().create_time()], "children": {"web": [kept.pid, kept.create_time()]}}))
    try:
        with embedded_at(tmp_path):
            stopped = serve.reap_orphaned_children()
        assert stopped == [f"web (pid {orphan.pid})"]
        assert_gone([orphan.pid])
        assert kept.is_running()
        assert sorted(path.name for path in records.iterdir()) == ["2.json"]
    finally:
        for process in (orphan, kept):
            if process.is_running():
                process.kill()


def test_a_lease_keeps_the_servers_until_its_process_dies_even_by_sigkill(tmp_path, monkeypatch):
    """The lease is a shared flock: the kernel drops it with the process, so a killed user never
    pins the servers, and a live one always does."""
    monkeypatch.setattr(embedded, "_lease", None)  # this test process's own lease is on another directory
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, sys, time; lease = open(sys.argv[1], 'a');"
                               "fcntl.flock(lease, fcntl.LOCK_SH); print('held', flush=True); time.sleep(120)",
                               str(tmp_path / ".users.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with embedded_at(tmp_path):
            assert embedded.stop_unless_used() is False
            holder.send_signal(signal.SIGKILL)  # no chance to let go: the kernel does
            holder.wait(10)
            assert embedded.stop_unless_used() is True
    finally:
        holder.kill()
        holder.wait(10)


def test_a_worker_whose_main_process_died_leaves_no_pool_behind(data_dir):
    port = free_port()
    run = start_serve(data_dir, port)
    servers, children = server_pids(data_dir), children_of(run)
    worker = next(psutil.Process(pid) for pid in children
                  if "worker" in psutil.Process(pid).cmdline() and psutil.Process(pid).ppid() == run.popen.pid)
    deadline = time.monotonic() + 60
    while not (pool := [child.pid for child in worker.children(recursive=True)]) and time.monotonic() < deadline:
        time.sleep(0.5)  # the prefork pool starts after the web server answers
    assert pool
    worker.kill()  # the worker's main process dies; its pool is still there
    assert run.popen.wait(60) == 1  # the run notices the worker is gone and stops
    assert_gone(children + pool + servers)
    assert server_pids(data_dir) == []
