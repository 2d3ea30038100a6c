"""`make bench`: local settings on a database of its own per size, so the demo data stay apart."""

from .local import *  # noqa: F403
from .local import DATABASES, env

BENCH_PATIENTS = env.int("BENCH_PATIENTS", default=10_000)
DATABASES["default"]["NAME"] = f"moverx_bench_{BENCH_PATIENTS}"
DEBUG = False
LOGGING["root"]["level"] = "WARNING"
