import datetime as dt

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from coaching.models import CheckIn, CoachingNote, HabitGoal, HabitLog, OutreachItem
from coaching.selectors import loggable_days
from core.clock import local_today, refuse_future
from core.errors import Conflict, InvalidInput
from exercises.selectors import session_since_sql
from patients.models import Alert
from patients.selectors import open_alerts


def check_in_record(*, actor, patient, occurred_at, channel, mood, confidence, barriers=(), notes="", agreed="",
                    next_check_in=None) -> CheckIn:
    """A coach logs a check-in (DESIGN.md, care journey step 6)."""
    refuse_future(occurred_at, field="occurred_at", message="A check-in cannot be in the future.")
    if next_check_in is not None and next_check_in < occurred_at.astimezone(dt.UTC).date() - dt.timedelta(days=1):
        raise InvalidInput({"next_check_in": ["The next check-in cannot be before this one."]})
    return CheckIn.objects.create(patient=patient, coach=actor, occurred_at=occurred_at, channel=channel, mood=mood,
                                  confidence=confidence, barriers=list(dict.fromkeys(barriers)), notes=notes,
                                  agreed=agreed, next_check_in=next_check_in)


def coaching_note_add(*, actor, patient, body: str) -> CoachingNote:
    return CoachingNote.objects.create(patient=patient, author=actor, body=body)


def habit_goal_create(*, actor, patient, description, target_per_week, start_date=None) -> HabitGoal:
    return HabitGoal.objects.create(patient=patient, description=description, target_per_week=target_per_week,
                                    start_date=start_date or local_today(patient.timezone), created_by=actor)


def habit_goal_update(*, goal: HabitGoal, **changes) -> HabitGoal:
    for name, value in changes.items():
        setattr(goal, name, value)
    goal.save(update_fields=[*changes, "updated_at"])
    return goal


def habit_log(*, actor, goal: HabitGoal, done_on: dt.date) -> HabitLog:
    """Mark a day the habit was kept (once per day; a repeat is a 409), from the goal's start to the
    patient's today."""
    first, last = loggable_days(goal)
    if not first <= done_on <= last:
        raise InvalidInput({"date": [day_range_refusal(first, last)]})
    try:
        with transaction.atomic():
            return HabitLog.objects.create(goal=goal, done_on=done_on, logged_by=actor)
    except IntegrityError as error:
        raise Conflict("That day is already logged.") from error


def _coach_alerts_open(patient) -> bool:
    """The alerts behind an `open_alert` item: every unacknowledged one but a review (the PT's, §2 v2)."""
    return open_alerts(patient).exclude(severity=Alert.Severity.REVIEW).exists()


def day_range_refusal(first: dt.date, last: dt.date) -> str:
    """"Pick a day from Mar 3 to Mar 9." (the year only when the range spans two)."""
    if first > last:
        return f"This goal starts on {_day(first)}: no day can be logged yet."
    both_years = first.year != last.year
    return f"Pick a day from {_day(first, both_years)} to {_day(last, both_years)}."


def _day(day: dt.date, with_year: bool = False) -> str:
    return f"{day:%b} {day.day}" + (f", {day.year}" if with_year else "")


@transaction.atomic
def outreach_resolve(*, actor, item_id: int, note: str) -> OutreachItem:
    item = OutreachItem.objects.select_for_update(no_key=True).get(pk=item_id)
    if item.resolved_at is not None:
        raise Conflict("This outreach item is already resolved.")
    if item.cause == OutreachItem.Cause.OPEN_ALERT and _coach_alerts_open(item.patient):
        # clinical-reference §2 (v2): an unacknowledged alert stays at the top of the work list
        raise Conflict("Acknowledge the alert on the patient's record, with a note: this item closes itself then.")
    if not note.strip():
        raise InvalidInput({"note": ["Say what was done."]})
    item.resolved_at, item.resolved_by, item.resolution_note = timezone.now(), actor, note
    item.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    return item


# The causes of outreach, set-based over every clinic: (patient, coach, cause, detail) now true.
CAUSES_SQL = f"""
    WITH open_plan AS (
        SELECT p.id AS patient_id, p.coach_id, p.timezone, c.reminder_after_days, cp.start_date
        FROM patients_patient p
        JOIN accounts_clinic c ON c.id = p.clinic_id
        JOIN careplans_careplan cp ON cp.patient_id = p.id AND cp.status = 'active'
    )
    SELECT o.patient_id, o.coach_id, 'no_recent_session',
           'No exercise session for ' || o.reminder_after_days || ' days or more'
    FROM open_plan o
    WHERE o.start_date <= (%(now)s AT TIME ZONE o.timezone)::date - o.reminder_after_days
      AND NOT {session_since_sql("o.patient_id", "%(now)s - make_interval(days => o.reminder_after_days)")}
    UNION ALL
    SELECT o.patient_id, o.coach_id, 'unanswered_reminders',
           r.sent || ' reminders since ' || to_char(r.first_sent AT TIME ZONE o.timezone, 'YYYY-MM-DD')
           || ' without a session'
    FROM open_plan o
    JOIN LATERAL (SELECT count(*) AS sent, min(sent_at) AS first_sent FROM coaching_reminderdelivery d
                  WHERE d.patient_id = o.patient_id AND d.status = 'sent'
                    AND d.sent_at > %(now)s - interval '7 days') r ON r.sent >= 3
    WHERE NOT {session_since_sql("o.patient_id", "r.first_sent")}
    UNION ALL
    SELECT o.patient_id, o.coach_id, 'overdue_check_in', 'Check-in was due on ' || last.next_check_in
    FROM open_plan o
    JOIN LATERAL (SELECT next_check_in FROM coaching_checkin ci WHERE ci.patient_id = o.patient_id
                  ORDER BY occurred_at DESC, id DESC LIMIT 1) last ON true
    WHERE last.next_check_in < (%(now)s AT TIME ZONE o.timezone)::date
    UNION ALL
    SELECT p.id, p.coach_id, 'open_alert', 'Open ' || string_agg(DISTINCT replace(a.kind, '_', '-'), ' and ')
           || ' alert'
    -- a review alert (no improvement at week 4) is the PT's, not the coach's (clinical-reference §2, v2);
    -- _coach_alerts_open reads the same set when an item is resolved
    FROM patients_patient p JOIN patients_alert a ON a.patient_id = p.id AND a.acknowledged_at IS NULL
                                                 AND a.severity <> 'review'
    GROUP BY p.id, p.coach_id
"""

REFRESH_SQL = f"""
    WITH causes (patient_id, coach_id, cause, detail) AS ({CAUSES_SQL}),
    cleared AS (
        UPDATE coaching_outreachitem o
        SET cleared_at = %(now)s,
            resolved_at = COALESCE(o.resolved_at, %(now)s),
            resolution_note = CASE WHEN o.resolved_at IS NULL THEN 'Cleared on its own.' ELSE o.resolution_note END
        WHERE o.cleared_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM causes c WHERE c.patient_id = o.patient_id AND c.cause = o.cause)
        RETURNING o.id
    ),
    opened AS (
        INSERT INTO coaching_outreachitem (patient_id, coach_id, cause, detail, opened_at, resolution_note)
        SELECT patient_id, coach_id, cause, detail, %(now)s, '' FROM causes
        ON CONFLICT (patient_id, cause) WHERE cleared_at IS NULL DO NOTHING
        RETURNING id
    )
    SELECT (SELECT count(*) FROM opened), (SELECT count(*) FROM cleared)
"""


def outreach_refresh(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Open an item for each patient and cause that needs a human and has no uncleared item;
    clear items whose cause went away (closing them if nobody had). Returns (opened, cleared)."""
    with connection.cursor() as cursor:
        cursor.execute(REFRESH_SQL, {"now": now or timezone.now()})
        return cursor.fetchone()
