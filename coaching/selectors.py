import datetime as dt

from django.db.models import Case, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone

from coaching.models import CheckIn, CoachingNote, HabitGoal, OutreachItem, ReminderDelivery
from core.clock import LocalDate, local_today
from exercises.models import ExerciseSession
from patients.clinical import DaysBetween
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


def with_days_since_session(items: QuerySet[OutreachItem]) -> QuerySet[OutreachItem]:
    """Items with their patient (phone, preferred channel) and `days_since_session`: whole days from
    the patient's last session to their today, both dates in the patient's zone (None: no session yet)."""
    last_session = ExerciseSession.objects.filter(patient=OuterRef("patient_id"), superseded_at__isnull=True).order_by(
        "-performed_at").values("performed_at")[:1]
    zone = F("patient__timezone")
    return items.select_related("patient").annotate(
        days_since_session=DaysBetween(LocalDate(Value(timezone.now()), zone), LocalDate(Subquery(last_session), zone)))


def open_queue(user) -> QuerySet[OutreachItem]:
    """The coach's open outreach in work order, with how long since each patient's last session."""
    return with_days_since_session(in_work_order(coach_queue(user).filter(resolved_at__isnull=True)))


def latest_check_in(patient_ref) -> dict:
    """Annotations of the patient's last check-in (for lists): when, its notes, what was agreed, the next one."""
    last = CheckIn.objects.filter(patient=patient_ref).order_by("-occurred_at", "-id")
    return {f"last_check_in_{name}": Subquery(last.values(name)[:1])
            for name in ("occurred_at", "notes", "agreed", "next_check_in")}


def loggable_days(goal: HabitGoal, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The days a habit can be logged for: from the goal's start to the patient's today (their zone)."""
    return goal.start_date, today or local_today(goal.patient.timezone)


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
