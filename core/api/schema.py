"""The OpenAPI schema documents every operation's error answers, in the one error shape of
`core.api.errors` (API.md, Errors), so that clients and the fuzzer know every status they can get."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny

from core.api.concurrency import VersionedMixin

_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_BODIES = {"POST", "PUT", "PATCH"}
_DETAIL_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": 'Field errors `{"field": ["message", ...]}` (nested like the input for nested fields, '
                   '`non_field_errors` for the whole body) or `{"detail": "message"}`.',
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": {},
}
_DESCRIPTIONS = {
    "400": "Bad input: nothing was written.",
    "401": "Not authenticated: no credentials, or an invalid or expired token.",
    "403": "Your role may not do this.",
    "404": "Not found, or not in your clinic.",
    "409": "The object's state does not allow this now.",
    "412": "The object changed since the version you sent in If-Match.",
    "413": "The request body is too large.",
    "428": "Send the version you edited in an If-Match header.",
    "429": "Too many requests: try again later.",
    "503": "A service MoveRx depends on is unavailable: try again later.",
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema plus the error answers that apply to each operation."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            responses.setdefault(code, self._error_response(code))
        return operation

    def _error_codes(self, operation) -> list[str]:
        view, method = self.view, self.method
        detail = "{" in self.path
        has_input = method in _BODIES or any(p["in"] == "query" for p in operation.get("parameters", []))
        conditions = {
            "400": has_input,
            "401": bool(view.get_authenticators()),
            "403": not all(isinstance(p, AllowAny) for p in view.get_permissions()),
            "404": detail or (method == "GET" and isinstance(self._get_paginator(), PageNumberPagination)),
            "409": method in _WRITES and bool(view.get_authenticators()),
            "412": method in _WRITES and detail and isinstance(view, VersionedMixin),
            "413": method in _BODIES,
            "428": method in {"PUT", "PATCH"} and isinstance(view, VersionedMixin),
            "429": bool(view.get_throttles()),
            "503": True,
        }
        return [code for code, applies in conditions.items() if applies]

    def _error_response(self, code: str) -> dict:
        name, schema = ("FieldErrors", _FIELD_ERRORS_SCHEMA) if code == "400" else ("Error", _DETAIL_SCHEMA)
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
        self.registry.register_on_missing(component)
        return {"content": {"application/json": {"schema": component.ref}}, "description": _DESCRIPTIONS[code]}
