from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def exception_handler(exc, context):
    """One error shape: `{"detail": "..."}` or field errors `{"field": ["..."]}` (API.md, Errors)."""
    if isinstance(exc, DomainError):
        body = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
        return Response(body, status=exc.status_code)
    exc = _as_api_exception(exc)
    if isinstance(exc, exceptions.ValidationError) and not isinstance(exc.detail, dict):
        exc = exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.detail})
    return drf_exception_handler(exc, context)


def _as_api_exception(exc):
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return exceptions.ParseError(str(exc))
    return exc


def _json_under_api(default_view, status_code: int, detail: str):
    """Django's own error page, except under /api/ where the answer is the API's error shape."""

    def view(request, exception=None):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": detail}, status=status_code)
        try:
            return default_view(request, exception) if exception is not None else default_view(request)
        except Exception:  # noqa: BLE001 - e.g. a body in another charset: Django's page reads it again
            return HttpResponse(detail, status=status_code, content_type="text/plain; charset=utf-8")

    return view


# Answers Django gives before or outside DRF: a path the URL conf does not know (a non-numeric or
# NUL-bearing id), a request Django refuses (SuspiciousOperation), an unhandled error.
bad_request = _json_under_api(defaults.bad_request, 400, "Bad request.")
page_not_found = _json_under_api(defaults.page_not_found, 404, "Not found.")
server_error = _json_under_api(defaults.server_error, 500, "Server error.")
