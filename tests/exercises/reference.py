"""An independent, plain-Python reading of clinical-reference §4, to check the SQL against."""

import datetime as dt
from zoneinfo import ZoneInfo


def local_midnight(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(tz))


def weekly_adherence(*, start: dt.date, tz: str, versions, sessions, as_of: dt.date, discharged_at=None):
    """versions: (prescription id, version, valid_from, status, times_per_week);
    sessions: (performed_at, superseded). Returns {week: (target, done, adherence, ended)}."""
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
    weeks = {}
    for week in range(1, 13):
        first = start + dt.timedelta(days=7 * (week - 1))
        if first > as_of:
            break
        after = first + dt.timedelta(days=7)
        begins, ends = local_midnight(first, tz), local_midnight(after, tz)
        active = [times for frm, to, times in intervals if frm < ends and (to is None or to > begins)]
        target = max(active) if active else None
        done = sum(1 for at, superseded in sessions
                   if not superseded and first <= at.astimezone(ZoneInfo(tz)).date() < after)
        adherence = None if target is None else min(done, target) / target
        weeks[week] = (target, done, adherence, after <= as_of)
    return weeks


def plan_adherence(weeks: dict) -> float | None:
    values = [adherence for target, done, adherence, ended in weeks.values() if target is not None and ended]
    return sum(values) / len(values) if values else None
