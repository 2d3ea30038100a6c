"""`make bench`: local settings on a database of its own per size, so the demo data stay apart."""

from .local import *  # noqa: F403
from .local import DATABASE_URL, REDIS_URL, env, service_settings, with_redis_db

BENCH_PATIENTS = env.int("BENCH_PATIENTS", default=10_000)
# The same servers, a database of its own per size and Redis database 14 for its queue.
vars().update(service_settings(DATABASE_URL, with_redis_db(REDIS_URL, 14)))
DATABASES["default"]["NAME"] = f"moverx_bench_{BENCH_PATIENTS}"
DEBUG = False
LOGGING["root"]["level"] = "WARNING"
