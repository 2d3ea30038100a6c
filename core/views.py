import datetime as dt

import redis
from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.outbox import outbox_undelivered_count


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # noqa: BLE001 - any failure means "unreachable" to a health check
        return False


def _redis_ok() -> bool:
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def _outbox_state() -> str:
    minutes = settings.OUTBOX_HEALTH_UNDELIVERED_MINUTES
    try:
        late = outbox_undelivered_count(older_than=dt.timedelta(minutes=minutes))
    except Exception:  # noqa: BLE001 - the database check already says why
        return "unknown"
    return f"{late} undelivered for > {minutes} min" if late else "ok"


@never_cache
@require_GET
@transaction.non_atomic_requests  # the request's transaction would need the database this checks
def healthz(request):
    """Liveness and readiness for load balancers and compose: 200 when PostgreSQL and Redis answer.

    `outbox` tells an operator about messages (alerts, report dispatch) undelivered for too long; it
    does not change the status: the process can serve, and taking it out of the load balancer would
    not deliver a single message (that is the SMTP server's or the workers' business)."""
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    body = {name: "ok" if ok else "unreachable" for name, ok in checks.items()}
    body["outbox"] = _outbox_state() if checks["database"] else "unknown"
    return JsonResponse(body, status=200 if all(checks.values()) else 503)
