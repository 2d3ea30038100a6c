"""Optimistic concurrency over HTTP: `ETag: "<version>"` out, `If-Match: "<version>"` in."""

import re

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
