"""`make run`: everything a developer needs in one foreground process.

Migrates, loads the demo data, then runs the web server, a Celery worker and Celery beat as child
processes; Ctrl-C or SIGTERM stops them all, and the embedded PostgreSQL and Redis if this command
started them."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from config import embedded

GRACE_SECONDS = 20


class Command(BaseCommand):
    help = "Run MoveRx locally: web server, Celery worker and beat, with demo data."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo data.")

    def handle(self, *args, port, no_demo, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        if not no_demo:
            call_command("seed_demo")
        children = self._start_children(port)
        self.stdout.write(self.style.SUCCESS(
            f"\nMoveRx is running: http://127.0.0.1:{port}/  (API docs: http://127.0.0.1:{port}/api/docs/)\n"
            "Press Ctrl-C to stop.\n"))
        stop = self._wait(children)
        self._stop(children)
        self._stop_embedded()
        sys.exit(0 if stop else 1)

    def _start_children(self, port) -> dict[str, subprocess.Popen]:
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            "worker": [python, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
                       "--concurrency", "2", "--hostname", "moverx-local@%h"],
            "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
        }
        # Own process groups: Ctrl-C reaches only this command, which then stops children in order.
        return {name: subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True)
                for name, command in commands.items()}

    def _wait(self, children) -> bool:
        stopping = {"requested": False}

        def request_stop(signum, frame):
            stopping["requested"] = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        while not stopping["requested"]:
            for name, child in children.items():
                if child.poll() is not None:
                    self.stderr.write(f"{name} exited with status {child.returncode}; stopping.")
                    return False
            time.sleep(0.5)
        return True

    def _stop(self, children) -> None:
        self.stdout.write("\nStopping web, worker and beat...")
        for child in children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)

    def _stop_embedded(self) -> None:
        if "redis" in embedded.started_here:
            embedded.stop_redis()
            self.stdout.write("Embedded Redis stopped.")
        if "postgres" in embedded.started_here:
            from django.db import connections

            connections.close_all()
            embedded.stop_postgres()
            self.stdout.write("Embedded PostgreSQL stopped.")
        self.stdout.write("Stopped.")

