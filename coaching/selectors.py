import datetime as dt

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from coaching.models import CheckIn, CoachingNote, HabitGoal, OutreachItem, ReminderDelivery
from core.clock import local_today
from patients.selectors import patients_visible_to


def check_ins_visible_to(user) -> QuerySet[CheckIn]:
    return CheckIn.objects.filter(patient__in=patients_visible_to(user))


def coaching_notes_visible_to(user) -> QuerySet[CoachingNote]:
    return CoachingNote.objects.filter(patient__in=patients_visible_to(user))


def habit_goals_visible_to(user) -> QuerySet[HabitGoal]:
    return HabitGoal.objects.filter(patient__in=patients_visible_to(user))


def outreach_visible_to(user) -> QuerySet[OutreachItem]:
    return OutreachItem.objects.filter(patient__in=patients_visible_to(user))


def coach_queue(user, items=None) -> QuerySet[OutreachItem]:
    """A coach's own outreach queue: items for their patients or assigned to them."""
    items = outreach_visible_to(user) if items is None else items
    return items.filter(Q(patient__coach=user) | Q(coach=user))


def in_work_order(items: QuerySet[OutreachItem]) -> QuerySet[OutreachItem]:
    """Open items before resolved ones; among them an unacknowledged safety or red-flag alert always
    first (clinical-reference §2, v2: alerts stay at the top of every work list), then oldest first."""
    alert_first = Case(When(cause=OutreachItem.Cause.OPEN_ALERT, then=Value(0)), default=Value(1),
                       output_field=IntegerField())
    return items.order_by("-resolved_at", alert_first, "opened_at", "id")


def reminders_visible_to(user) -> QuerySet[ReminderDelivery]:
    return ReminderDelivery.objects.filter(patient__in=patients_visible_to(user))


def habit_progress(goal: HabitGoal, *, weeks: int = 4, today: dt.date | None = None) -> list[dict]:
    """The last `weeks` goal weeks up to today (week 1 starts on the goal's start date), with the
    days kept in each; uses `goal.logs` (prefetch it for lists)."""
    today = today or local_today(goal.patient.timezone)
    if today < goal.start_date:
        return []
    current = (today - goal.start_date).days // 7 + 1
    days = [log.done_on for log in goal.logs.all()]
    progress = []
    for week in range(max(1, current - weeks + 1), current + 1):
        start = goal.start_date + dt.timedelta(days=7 * (week - 1))
        end = start + dt.timedelta(days=6)
        done = sum(1 for day in days if start <= day <= end)
        progress.append({"week": week, "start": start, "end": end, "done": done, "target": goal.target_per_week,
                         "met": done >= goal.target_per_week})
    return progress
