from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone


def local_today(tz_name: str, now: datetime | None = None) -> date:
    """Today's date where the patient (or clinic) is: "day" and "week" are local (DESIGN.md, Time)."""
    return (now or timezone.now()).astimezone(ZoneInfo(tz_name)).date()
