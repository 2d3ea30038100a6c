"""Plan weeks and the reassessment schedule (DESIGN.md, care journey steps 8 and Time)."""

from datetime import date, timedelta

# clinical-reference §5 (v2): the time points, baseline and weeks 4, 8 and 12, as (day from the plan
# start S, (window from, window to)) in local dates. The one source: the reassessment schedule here,
# the reassessment list and the 12-week report (outcomes) read it.
TIME_POINTS = ((0, (-14, 0)), (28, (21, 35)), (56, (49, 63)), (84, (70, 98)))


def plan_week(start: date, on: date) -> int | None:
    """Week 1 starts on the plan's start date; None before it starts."""
    if on < start:
        return None
    return (on - start).days // 7 + 1


def reassessment_schedule(start: date) -> list[dict]:
    """Reassessments at the time points after baseline (weeks 4, 8 and 12), due on the point's day:
    when its week is complete (for week 12, S + 84, the centre of the follow-up window, §5)."""
    return [{"week": day // 7, "due_date": start + timedelta(days=day)} for day, _ in TIME_POINTS[1:]]
