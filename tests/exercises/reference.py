"""An independent, plain-Python reading of clinical-reference §4 (version 2), to check the SQL against."""

import datetime as dt
import math
from fractions import Fraction
from zoneinfo import ZoneInfo


def local_midnight(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(tz))


def inactive_periods(status_changes, discharged_at=None):
    """status_changes: (changed_at, to_status) in the order they happened. A pause lasts until the
    next change; a discharge for good. Returns [(from, to or None)]."""
    periods = []
    for i, (changed_at, to_status) in enumerate(status_changes):
        if to_status == "paused":
            periods.append((changed_at, status_changes[i + 1][0] if i + 1 < len(status_changes) else None))
    if discharged_at is not None:
        periods.append((discharged_at, None))
    return periods


def active_all_day(day: dt.date, tz: str, periods) -> bool:
    """The plan was active for the whole local day: no moment of it paused or discharged."""
    begins, ends = local_midnight(day, tz), local_midnight(day + dt.timedelta(days=1), tz)
    return not any(frm < ends and (to is None or to > begins) and (to is None or to > frm) for frm, to in periods)


def weekly_adherence(*, start: dt.date, tz: str, versions, sessions, as_of: dt.date, discharged_at=None,
                     status_changes=()):
    """versions: (prescription id, version, valid_from, status, times_per_week);
    sessions: (performed_at, superseded); status_changes: (changed_at, to_status) in order.
    Returns {week: (target, done, adherence, ended, active_days, full_target)}, target the effective one."""
    by_prescription = {}
    for prescription, _version, valid_from, status, times in sorted(versions, key=lambda v: (v[0], v[1])):
        by_prescription.setdefault(prescription, []).append((valid_from, status, times))
    intervals = []  # (from, to or None, times) while active
    for history in by_prescription.values():
        for i, (valid_from, status, times) in enumerate(history):
            valid_to = history[i + 1][0] if i + 1 < len(history) else None
            if discharged_at is not None:
                valid_to = discharged_at if valid_to is None else min(valid_to, discharged_at)
            if status == "active" and (valid_to is None or valid_to > valid_from):  # never in effect otherwise
                intervals.append((valid_from, valid_to, times))
    periods = inactive_periods(list(status_changes), discharged_at)
    weeks = {}
    for week in range(1, 13):
        first = start + dt.timedelta(days=7 * (week - 1))
        if first > as_of:
            break
        after = first + dt.timedelta(days=7)
        begins, ends = local_midnight(first, tz), local_midnight(after, tz)
        active = [times for frm, to, times in intervals if frm < ends and (to is None or to > begins)]
        full_target = max(active) if active else None
        active_days = sum(active_all_day(first + dt.timedelta(days=d), tz, periods) for d in range(7))
        target = math.ceil(Fraction(full_target * active_days, 7)) if full_target and active_days else None
        done = sum(1 for at, superseded in sessions
                   if not superseded and first <= at.astimezone(ZoneInfo(tz)).date() < after)
        adherence = None if target is None else min(done, target) / target
        weeks[week] = (target, done, adherence, after <= as_of, active_days, full_target)
    return weeks


def plan_adherence(weeks: dict) -> float | None:
    values = [week[2] for week in weeks.values() if week[0] is not None and week[3]]
    return sum(values) / len(values) if values else None
