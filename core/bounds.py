"""Sane ranges for every date and datetime the edge accepts (DESIGN.md, Reliability: "dates are
bounded at the edge"). One validator, `Bounded(kind)`, serves DRF serializer fields, Django form
fields and django-filter parameters alike; `is_suspect` tells pages which stored values no real
record can have (rows written before the bounds existed).

Why bound at all: a .NET `DateTime.MinValue` (0001-01-01) or a `9999-12-31` placeholder is a valid
ISO date, but date arithmetic on it (week numbers, due dates, local time) leaves Python's year
1..9999 and turns every page that shows the row into a 500.
"""

import datetime as dt
import enum
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.clock import CLOCK_SKEW

EARLIEST_DATE = dt.date(1900, 1, 1)
EARLIEST_MOMENT = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
# Plans, prescriptions, goals and follow-ups live within five years of today: a plan runs 12 weeks
# (52 at most), may be back-dated when care is recorded late or migrated from another system (API.md),
# and is scheduled at most weeks ahead; five years keeps every honest record and refuses the typos and
# placeholders (2062 for 2026, 9999-12-31) while all plan arithmetic stays far from year 9999.
PLAN_YEARS = 5
PLAN_SPAN = dt.timedelta(days=round(365.25 * PLAN_YEARS))
CLINICAL_APPS = frozenset({"accounts", "patients", "careplans", "exercises", "coaching", "outcomes"})

# The edge does not know the patient yet (a field is validated before the body's patient is looked
# up), so "today" there is every local today on Earth: from the last zone to see midnight (UTC-12)
# to the first (UTC+14). The services then check the patient's own local day exactly.
_LAST_ZONE, _FIRST_ZONE = ZoneInfo("Etc/GMT+12"), ZoneInfo("Pacific/Kiritimati")


class Kind(enum.Enum):
    CLINICAL_TIME = "clinical timestamp"  # when a measure, visit, session or check-in happened
    PAST_DATE = "past date"  # birth, pain onset, a day a habit was kept
    PLAN_DATE = "plan date"  # plan, prescription and goal start; next check-in
    REPORT_DATE = "report date"  # report ranges, adherence as of, prescriptions as of


def _today_range(now: dt.datetime) -> tuple[dt.date, dt.date]:
    return now.astimezone(_LAST_ZONE).date(), now.astimezone(_FIRST_ZONE).date()


def date_range(kind: Kind, now: dt.datetime | None = None) -> tuple[dt.date, dt.date]:
    """The inclusive [first, last] day a date of `kind` may take at `now` (default: this request)."""
    earliest_today, latest_today = _today_range(now or timezone.now())
    if kind is Kind.PLAN_DATE:
        return earliest_today - PLAN_SPAN, latest_today + PLAN_SPAN
    if kind is Kind.REPORT_DATE:
        return EARLIEST_DATE, latest_today + PLAN_SPAN
    return EARLIEST_DATE, latest_today


def moment_range(kind: Kind, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The inclusive [first, last] instant a timestamp of `kind` may take at `now`."""
    now = now or timezone.now()
    if kind is Kind.CLINICAL_TIME:
        return EARLIEST_MOMENT, now + CLOCK_SKEW
    last = date_range(kind, now)[1]
    return EARLIEST_MOMENT, dt.datetime.combine(last, dt.time.max, tzinfo=dt.UTC)


def _as_utc(moment: dt.datetime) -> dt.datetime | None:
    """`moment` in UTC, or None when it has no UTC instant in years 1..9999 (0001-01-01T00:00+05:00)."""
    try:
        return moment.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None


class Bounded:
    """Validator: the value lies in the range of its kind, else a ValidationError naming the range.
    Use it in `validators=[...]` of a DRF field, a Django form field or a django-filter filter."""

    def __init__(self, kind: Kind):
        self.kind = kind

    def __call__(self, value):
        if isinstance(value, dt.datetime):
            moment = _as_utc(value)
            if moment is None:
                self.refuse()
            first, last = moment_range(self.kind)
            if not first <= moment <= last:
                self.refuse(too_early=moment < first)
        elif isinstance(value, dt.date):
            first, last = date_range(self.kind)
            if not first <= value <= last:
                self.refuse(too_early=value < first)

    def refuse(self, *, too_early: bool | None = None):
        """Raise the ValidationError of a value before (`too_early`) or after the range, or (None) of
        one that has no UTC instant at all."""
        first, last = date_range(self.kind)
        if too_early is None:
            message = f"Give a {self.kind.value} from {first} to {'now' if self.kind is Kind.CLINICAL_TIME else last}."
        elif too_early:
            message = f"Give a {self.kind.value} on or after {first}."
        elif self.kind is Kind.CLINICAL_TIME:
            message = "This is in the future (beyond the allowed clock skew)."
        else:
            message = f"Give a {self.kind.value} on or before {last}."
        raise ValidationError(message, code="out_of_range")


# What each date or time a client may send is, by field name (the edge bounds it with the same
# kind). Stored values are judged by the range of that kind (a measure cannot have happened after
# now, nor a birth after today), and fields the server stamps itself (created_at, sent_at, ...) by
# the widest one, REPORT_DATE: from 1900 to five years after today.
FIELD_KINDS = {
    "collected_at": Kind.CLINICAL_TIME, "performed_at": Kind.CLINICAL_TIME, "occurred_at": Kind.CLINICAL_TIME,
    "date_of_birth": Kind.PAST_DATE, "pain_onset_date": Kind.PAST_DATE, "done_on": Kind.PAST_DATE,
    "start_date": Kind.PLAN_DATE, "next_check_in": Kind.PLAN_DATE,
    "start_from": Kind.REPORT_DATE, "start_to": Kind.REPORT_DATE, "as_of": Kind.REPORT_DATE,
}


def stored_range(field: str = "") -> tuple[dt.datetime, dt.datetime]:
    """The [first, last] instant a stored value of `field` can honestly hold. Below, always 1900: a
    plan started long ago is honest history, though the edge no longer accepts it as new."""
    return moment_range(FIELD_KINDS.get(field, Kind.REPORT_DATE))


def is_suspect(value, field: str = "", *, within: tuple[dt.datetime, dt.datetime] | None = None) -> bool:
    """A stored date or time outside the honest range of its `field` (a row written before the edge
    was bounded). Pages show it as it is, marked, and compute nothing from it. `within`: the range,
    when the caller judges many values at once."""
    first, last = within or stored_range(field)
    if isinstance(value, dt.datetime):
        moment = _as_utc(value)
        return moment is None or not first <= moment <= last
    if isinstance(value, dt.date):
        return not first.date() <= value <= last.date()
    return False


def suspect_rows(registry, *, app_labels: set[str], sample: int = 20) -> list[dict]:
    """Rows of `app_labels` whose dates or times lie outside their `stored_range`, per model and field: the
    count and up to `sample` ids. Only ids are read: a year-1 timestamp may not even load in Python.
    `registry` is `django.apps.apps` or a migration's historical apps."""
    found = []
    for model in registry.get_models():
        if model._meta.app_label not in app_labels:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.DateField):  # DateTimeField is a DateField too
                continue
            low, high = stored_range(field.name)
            if not isinstance(field, models.DateTimeField):
                low, high = low.date(), high.date()
            rows = model._base_manager.filter(Q(**{f"{field.name}__lt": low}) | Q(**{f"{field.name}__gt": high}))
            count = rows.count()
            if count:
                ids = list(rows.order_by("pk").values_list("pk", flat=True)[:sample])
                found.append({"model": model._meta.label, "field": field.name, "count": count, "ids": ids})
    return found


# --- Form fields ---------------------------------------------------------------------------------


class BoundedDateFormField(forms.DateField):
    """A form date within the range of `kind`."""

    def __init__(self, *, kind: Kind, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(Bounded(kind))


class BoundedDateTimeFormField(forms.DateTimeField):
    """A form date and time (in the page's local time) within the range of `kind`."""

    def __init__(self, *, kind: Kind, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(Bounded(kind))
