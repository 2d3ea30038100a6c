import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from careplans.models import CarePlan
from core.audit import audit_triggers
from core.models import qualified, refuse_truncate
from patients.models import Patient

_GOAL_PATIENT = f"(SELECT patient_id FROM {qualified('coaching_habitgoal')} WHERE id = r.goal_id)"  # noqa: S608


class Barrier(models.TextChoices):
    PAIN = "pain"
    TIME = "time"
    MOTIVATION = "motivation"
    FATIGUE = "fatigue"
    WORK = "work"
    FAMILY = "family"
    TRAVEL = "travel"
    ILLNESS = "illness"
    EQUIPMENT = "equipment"
    FEAR_OF_MOVEMENT = "fear_of_movement"
    OTHER = "other"


class CheckIn(models.Model):
    """A coach's conversation with a patient (DESIGN.md, care journey step 6)."""

    class Channel(models.TextChoices):
        VIDEO = "video"
        PHONE = "phone"
        MESSAGE = "message"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="check_ins")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    mood = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)],
                                            help_text="1 (very low) to 5 (very good).")
    confidence = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)],
                                                  help_text="Confidence to keep up the programme, 0-10.")
    barriers = ArrayField(models.CharField(max_length=20, choices=Barrier.choices), default=list, blank=True)
    notes = models.TextField(blank=True)
    agreed = models.TextField(blank=True, help_text="What the patient and coach agreed to do.")
    next_check_in = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["patient", "-occurred_at"], name="checkin_patient_time_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(mood__gte=1, mood__lte=5), name="checkin_mood_1_5"),
            models.CheckConstraint(condition=models.Q(confidence__lte=10), name="checkin_confidence_0_10"),
        ]
        triggers = audit_triggers(patient="r.patient_id")

    def __str__(self):
        return f"{self.get_channel_display()} check-in with patient {self.patient_id}"


class CoachingNote(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coaching_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        triggers = audit_triggers(patient="r.patient_id")

    def __str__(self):
        return f"Coaching note {self.pk}"


DAYS_PER_WEEK = 7  # a habit kept "n days a week": n cannot exceed the week


class HabitGoal(models.Model):
    """A SMART habit ("walk 30 minutes after lunch") with a weekly target."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        ACHIEVED = "achieved"
        PAUSED = "paused"
        STOPPED = "stopped"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="habit_goals")
    description = models.CharField(max_length=300)
    target_per_week = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(DAYS_PER_WEEK)])
    start_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [models.CheckConstraint(
            condition=models.Q(target_per_week__gte=1, target_per_week__lte=DAYS_PER_WEEK), name="habit_target_1_7")]
        triggers = audit_triggers(patient="r.patient_id")

    def __str__(self):
        return self.description


class HabitLog(models.Model):
    """One day the patient kept the habit (reported to the coach)."""

    goal = models.ForeignKey(HabitGoal, on_delete=models.CASCADE, related_name="logs")
    done_on = models.DateField()
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-done_on"]
        constraints = [models.UniqueConstraint(fields=["goal", "done_on"], name="habit_log_once_a_day")]
        triggers = audit_triggers(patient=_GOAL_PATIENT)

    def __str__(self):
        return f"{self.goal_id} on {self.done_on}"


class OutreachItem(models.Model):
    """A patient who needs a human, and why. One open item per patient and cause; once resolved,
    the cause must clear (`cleared_at`) before it can open an item again."""

    class Cause(models.TextChoices):
        NO_RECENT_SESSION = "no_recent_session", "No exercise session recently"
        UNANSWERED_REMINDERS = "unanswered_reminders", "Reminders without a session since"
        OVERDUE_CHECK_IN = "overdue_check_in", "Check-in overdue"
        OPEN_ALERT = "open_alert", "Open safety or red-flag alert"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="outreach_items")
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="outreach_items", help_text="The patient's coach when it opened.")
    cause = models.CharField(max_length=24, choices=Cause.choices)
    detail = models.CharField(max_length=300)
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    resolution_note = models.TextField(blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True, help_text="When the cause stopped being true.")

    class Meta:
        ordering = ["opened_at", "id"]
        constraints = [
            # While the cause has not cleared, there is one item for it, resolved or not.
            models.UniqueConstraint(fields=["patient", "cause"], condition=models.Q(cleared_at__isnull=True),
                                    name="outreach_one_per_uncleared_cause"),
        ]
        indexes = [models.Index(fields=["coach"], condition=models.Q(resolved_at__isnull=True),
                                name="outreach_open_by_coach_idx")]
        triggers = audit_triggers(patient="r.patient_id")

    def __str__(self):
        return f"{self.get_cause_display()}: patient {self.patient_id}"


class ReminderDelivery(models.Model):
    """One adherence reminder for one patient on one local day: the database, not the broker, is
    the source of truth (DESIGN.md, reliability). pending → sending → sent, or failed after capped
    retries, or skipped when the reason went away."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        SKIPPED = "skipped"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="reminders")
    care_plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="+")
    slot = models.DateField(help_text="The patient's local day this reminder is for.")
    channel = models.CharField(max_length=10)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, db_default="")

    class Meta:
        ordering = ["-slot", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "slot"], name="reminder_one_per_patient_per_day"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="reminder_due_idx",
                         condition=models.Q(status__in=["pending", "sending"])),
            models.Index(fields=["patient", "-sent_at"], name="reminder_patient_sent_idx"),
        ]
        # Not in the audit trail: the row itself records every step of the delivery, and a sweep
        # over 100,000 patients must stay fast.
        triggers = [refuse_truncate()]

    def __str__(self):
        return f"Reminder for patient {self.patient_id} on {self.slot} ({self.status})"
