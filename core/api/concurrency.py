"""Optimistic concurrency over HTTP: `ETag: "<version>"` out, `If-Match: "<version>"` in."""

import re

from rest_framework.response import Response

from core.errors import StaleVersion, VersionRequired

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(request) -> int:
    """The version the client edited; 428 without an If-Match, 412 when it names no version."""
    header = request.headers.get("If-Match")
    if header is None:
        raise VersionRequired()
    match = _ETAG.match(header)
    if not match:
        raise StaleVersion()
    return int(match.group(1))


class VersionedMixin:
    """Answers about a versioned row (care plans, prescriptions) carry its version as the ETag the
    client sends back in If-Match."""

    def respond(self, pk, status_code=200):
        row = self.get_queryset().get(pk=pk)
        return Response(self.get_serializer(row).data, status=status_code, headers={"ETag": etag(row.version)})

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag(response.data["version"])
        return response
