import logging
import re
import time

import kombu.exceptions
import redis.exceptions
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control

from core.audit import audit_context, current_request_id, new_request_id

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
logger = logging.getLogger("moverx.requests")


class RequestIdMiddleware:
    """Tags each request with an id (the client's `X-Request-ID` when well-formed) that the
    audit trail and the logs carry, echoes it in the response, and logs the request's outcome.
    The access log names the URL pattern, not the path: a path may hold a password-reset token, a
    query string a patient's name."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if _VALID_REQUEST_ID.match(given) else new_request_id()
        token = current_request_id.set(request.request_id)
        began = time.monotonic()
        try:
            response = self.get_response(request)
            _log_finished(request, response, began)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request.request_id
        return response


def _log_finished(request, response, began: float) -> None:
    route = request.resolver_match.route if request.resolver_match else ""
    logger.info("%s %s %s", request.method, route or "(no route)", response.status_code, extra={
        "event": "request.finished", "method": request.method, "route": route, "status": response.status_code,
        "duration_ms": round((time.monotonic() - began) * 1000)})


class AuditContextMiddleware:
    """Attributes every database write made while serving a request to the requesting user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(actor=lambda: getattr(request, "user", None), request_id=request.request_id):
            return self.get_response(request)


# What a request meets when Redis (cache, DRF throttles, Celery's broker) cannot be reached or refuses
# to write (out of memory, read-only replica, MISCONF): every RedisError, and kombu's wrapper of them.
REDIS_UNAVAILABLE = (redis.exceptions.RedisError, kombu.exceptions.OperationalError)
UNAVAILABLE_MESSAGE = "MoveRx is briefly unavailable (a background service is down). Please try again in a minute."
UNAVAILABLE_PAGE = (
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>MoveRx is briefly unavailable</title>"
    "</head><body><h1>MoveRx is briefly unavailable</h1><p>{message}</p></body></html>")


class RedisUnavailableMiddleware:
    """A request that needs Redis while it is down answers 503 with a clear message (JSON for the
    API, a plain page for people), never 500. Clinical writes do not need Redis: what they tell
    others goes through the outbox, so they still answer normally."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, REDIS_UNAVAILABLE):
            return None
        logger.warning("Redis unavailable while serving %s: %s", request.path, exception)
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": UNAVAILABLE_MESSAGE}, status=503)
        else:
            response = HttpResponse(UNAVAILABLE_PAGE.format(message=UNAVAILABLE_MESSAGE), status=503)
        response["Retry-After"] = "30"
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response Django renders: pages and API answers carry
    patient data, and no browser or proxy may keep a copy. Static files are served before this
    (WhiteNoise) and keep their long cache lifetimes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, no_store=True)
        response.setdefault("Pragma", "no-cache")  # HTTP/1.0 caches know no Cache-Control
        return response
