"""Plan weeks and the reassessment schedule (DESIGN.md, care journey steps 8 and Time)."""

from datetime import date, timedelta

REASSESSMENT_WEEKS = (4, 8, 12)


def plan_week(start: date, on: date) -> int | None:
    """Week 1 starts on the plan's start date; None before it starts."""
    if on < start:
        return None
    return (on - start).days // 7 + 1


def week_bounds(start: date, week: int) -> tuple[date, date]:
    """First and last local date of plan week `week`."""
    first = start + timedelta(days=7 * (week - 1))
    return first, first + timedelta(days=6)


def reassessment_schedule(start: date) -> list[dict]:
    """Reassessments at weeks 4, 8 and 12, due when the week is complete: start + 7w days (for
    week 12 that is S + 84, the centre of the report's follow-up window, clinical-reference §5)."""
    return [{"week": week, "due_date": start + timedelta(days=7 * week)} for week in REASSESSMENT_WEEKS]
