import functools
import zoneinfo

from django.core.exceptions import ValidationError

TIMEZONE_MAX_LENGTH = 64


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _timezones():
        raise ValidationError(f'"{value}" is not an IANA time zone (e.g. "America/New_York").')
