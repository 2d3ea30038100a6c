from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import models
from django.utils import timezone

from core.errors import InvalidInput

CLOCK_SKEW = timedelta(minutes=5)  # a patient's phone may run a little ahead of our clock


def local_today(tz_name: str, now: datetime | None = None) -> date:
    """Today's date where the patient (or clinic) is: "day" and "week" are local (DESIGN.md, Time)."""
    return (now or timezone.now()).astimezone(ZoneInfo(tz_name)).date()


def refuse_future(moment: datetime, *, field: str, message: str) -> None:
    """A fact stamped after now (give or take the clock skew) is refused: 400 on `field`."""
    if moment > timezone.now() + CLOCK_SKEW:
        raise InvalidInput({field: [message]})


class LocalDate(models.Func):
    """A moment's date in a zone held by a column (each patient's own): `(moment AT TIME ZONE zone)::date`."""

    arg_joiner = " AT TIME ZONE "
    template = "((%(expressions)s)::date)"
    output_field = models.DateField()
