"""`make run`: everything a developer needs in one foreground process.

Migrates, loads the demo data, then runs the web server, a Celery worker and Celery beat as child
processes. However it stops (Ctrl-C, SIGTERM, SIGHUP, a child that dies, an error while migrating or
seeding) it stops its children, then the embedded PostgreSQL and Redis unless another live process
still uses them (config/embedded.py). A `make run` that was killed outright (SIGKILL, out of memory)
cannot clean up: its children die with it on Linux, and the next `make run` stops whatever it left
(children it recorded under .data/serve/, servers nobody uses)."""

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from config import embedded

GRACE_SECONDS = 20
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1


class StopRequested(BaseException):
    """A stop signal arrived: unwind from wherever the command was and clean up (a BaseException,
    like KeyboardInterrupt, so that no `except Exception` on the way swallows it)."""


class Command(BaseCommand):
    help = "Run MoveRx locally: web server, Celery worker and beat, with demo data."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")

    def handle(self, *args, port, no_demo, **options):
        for signum in STOP_SIGNALS:
            signal.signal(signum, _raise_stop)
        children: dict[str, subprocess.Popen] = {}
        clean = False
        try:
            for left in reap_orphaned_children():
                self.stdout.write(f"Stopped {left}, left running by a make run that was killed.")
            self._prepare(no_demo)
            self._start_children(port, children)
            clean = self._wait(children)
        except StopRequested:
            clean = True
        finally:
            for signum in STOP_SIGNALS:  # a second Ctrl-C must not cut the clean-up short
                signal.signal(signum, signal.SIG_IGN)
            try:
                self._stop(children)
            finally:  # even if the terminal is gone and writing to it fails
                self._stop_embedded()
        sys.exit(0 if clean else 1)

    def _prepare(self, no_demo: bool) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        if not no_demo:
            call_command("seed_demo")

    def _start_children(self, port, children: dict[str, subprocess.Popen]) -> None:
        """Fills `children` as it goes, so that a stop arriving half-way still stops those started."""
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [python, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
                       "--concurrency", "2", "--hostname", "moverx-local@%h"],
            "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
        }
        for name, command in commands.items():
            # Own process groups: Ctrl-C reaches only this command, which then stops children in order.
            children[name] = subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True,
                                              preexec_fn=_die_with_parent(os.getpid()))
            record_children(children)
        self.stdout.write(self.style.SUCCESS(
            f"\nMoveRx is running: http://127.0.0.1:{port}/  (API docs: http://127.0.0.1:{port}/api/docs/)\n"
            "Press Ctrl-C to stop.\n"))

    def _wait(self, children) -> bool:
        """Until a stop signal (raises StopRequested); False when a child exits on its own."""
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with status {child.returncode}; stopping.")
                    return False
            time.sleep(0.5)

    def _stop(self, children) -> None:
        if children:
            self.stdout.write("\nStopping web, worker and beat...")
        # reaping the leaders as they exit lets a finished group read as gone
        stop_groups([child.pid for child in children.values()],
                    reap=lambda: [child.poll() for child in children.values()])
        for child in children.values():
            child.wait()
        _record_path().unlink(missing_ok=True)

    def _stop_embedded(self) -> None:
        from django.db import connections

        connections.close_all()
        if not embedded.leased():
            pass  # DATABASE_URL and REDIS_URL given: not ours to stop
        elif embedded.stop_unless_used():
            self.stdout.write("Embedded PostgreSQL and Redis stopped.")
        else:
            self.stdout.write("Embedded PostgreSQL and Redis left running: another process is using them.")
        self.stdout.write("Stopped.")


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # nobody left in that group
        os.killpg(group, signum)


def stop_groups(groups: list[int], *, reap=lambda: None) -> None:
    """SIGTERM each process group (every child leads its own), wait for each to empty, SIGKILL what
    is left after the grace. Whole groups, whether or not their leader still runs: a worker whose
    main process died leaves its pool behind, holding the embedded servers' lease."""
    for group in groups:
        _signal_group(group, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for group in groups:
        while _group_alive(group) and time.monotonic() < deadline:
            reap()
            time.sleep(0.1)
        _signal_group(group, signal.SIGKILL)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _raise_stop(signum, frame):
    raise StopRequested(signal.Signals(signum).name)


def _die_with_parent(parent: int):
    """A preexec_fn: on Linux the child gets SIGTERM when this command dies, even by SIGKILL."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: the child should only call it

    def arm():
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return arm


# What each running `make run` started, so that the next one can stop what a killed one left.
def _record_path(pid: int | None = None) -> Path:
    return embedded.DATA_DIR / "serve" / f"{pid or os.getpid()}.json"


def _identity(pid: int) -> list:
    """pid and start time: a pid alone may since name another process."""
    return [pid, psutil.Process(pid).create_time()]


def record_children(children: dict[str, subprocess.Popen]) -> None:
    path = _record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"serve": _identity(os.getpid()),
              "children": {name: _identity(child.pid) for name, child in children.items()}}
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(record))
    partial.replace(path)  # a kill mid-write leaves the previous record, never half of one


def _same_process(identity: list) -> psutil.Process | None:
    pid, created = identity
    try:
        process = psutil.Process(pid)
        return process if process.create_time() == created and process.status() != psutil.STATUS_ZOMBIE else None
    except psutil.Error:
        return None


def reap_orphaned_children() -> list[str]:
    """Stop the children recorded by a `make run` that is gone; a live one keeps its own. Returns
    what was stopped."""
    stopped, groups = [], []
    for path in sorted((embedded.DATA_DIR / "serve").glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # removed meanwhile by the run it belongs to, or not ours
        if _same_process(record["serve"]):
            continue
        for name, identity in record["children"].items():
            if process := _same_process(identity):
                groups.append(process.pid)
                stopped.append(f"{name} (pid {process.pid})")
        path.unlink(missing_ok=True)
    stop_groups(groups)
    return stopped
