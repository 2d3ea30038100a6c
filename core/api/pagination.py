"""Paginated lists. A malformed or out-of-range `page`, `page_size` or `cursor` is a 400 with the
parameter's error (never ignored, never a 500); a well-formed page past the end stays DRF's 404."""

import re

from django.core.exceptions import FieldDoesNotExist, ValidationError
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination, PageNumberPagination

_WHOLE_NUMBER = re.compile(r"^[0-9]{1,9}$")


def _whole_number(request, param: str, *, maximum: int | None = None) -> int | None:
    """The query parameter as an int from 1 to `maximum`, None when absent or empty; 400 otherwise."""
    raw = request.query_params.get(param)
    if not raw:
        return None
    value = int(raw) if _WHOLE_NUMBER.match(raw) else 0
    if not 1 <= value <= (maximum or 10**9):
        allowed = f"from 1 to {maximum}" if maximum else "of 1 or more"
        raise exceptions.ValidationError({param: [f"Enter a whole number {allowed}."]})
    return value


def _bounded(parameters: list[dict], bounds: dict[str, dict]) -> list[dict]:
    """The paginator's OpenAPI parameters with the bounds the server enforces."""
    for parameter in parameters:
        parameter["schema"].update(bounds.get(parameter["name"], {}))
    return parameters


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        return _whole_number(request, self.page_size_query_param, maximum=self.max_page_size) or self.page_size

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            return paginator.num_pages
        return _whole_number(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view):
        return _bounded(super().get_schema_operation_parameters(view), {
            self.page_query_param: {"minimum": 1},
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        })


class NewestFirstCursorPagination(CursorPagination):
    """For the large, append-only lists (sessions, assessments, reminders, audit): stable under inserts."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        return _whole_number(request, self.page_size_query_param, maximum=self.max_page_size) or self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """The cursor the server handed out; a made-up one (bad encoding, or a position that is not
        a value of the ordering column) is a 400, not a query that fails."""
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = None
            self._refuse_cursor()
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        try:
            self._model._meta.get_field(self.ordering[0].lstrip("-")).clean(position, None)
        except (FieldDoesNotExist, ValidationError, ValueError, TypeError, OverflowError):
            self._refuse_cursor()

    def _refuse_cursor(self):
        raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def get_schema_operation_parameters(self, view):
        return _bounded(super().get_schema_operation_parameters(view), {
            self.page_size_query_param: {"minimum": 1, "maximum": self.max_page_size},
        })
