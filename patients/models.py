from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models

from accounts.models import Clinic
from core.audit import audit_triggers
from core.validators import TIMEZONE_MAX_LENGTH, validate_timezone
from patients.clinical import RedFlag


class Sex(models.TextChoices):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class ReminderChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    NONE = "none", "No reminders"


class PainRegion(models.TextChoices):
    LOW_BACK = "low_back", "Low back"
    UPPER_BACK = "upper_back", "Upper back"
    NECK = "neck", "Neck"
    OTHER = "other", "Other"


class Symptom(models.TextChoices):
    NIGHT_STIFFNESS = "night_stiffness", "Stiffness at night"
    MORNING_STIFFNESS = "morning_stiffness", "Stiffness in the morning"
    PAIN_BENDING = "pain_bending", "Pain when bending"
    PAIN_LIFTING = "pain_lifting", "Pain when lifting"
    PAIN_SITTING = "pain_sitting", "Pain when sitting"
    PAIN_STANDING = "pain_standing", "Pain when standing"
    TIGHTNESS_AFTER_ACTIVITY = "tightness_after_activity", "Tightness after activity"
    LEG_WEAKNESS_OR_NUMBNESS = "leg_weakness_or_numbness", "Leg weakness or numbness"
    PAIN_RADIATING_TO_LEGS = "pain_radiating_to_legs", "Pain radiating into the legs"


class RedFlagStatus(models.TextChoices):
    """clinical-reference §2 (v2): the screen is explicit; a plan can be activated only from
    `MAY_ACTIVATE`."""

    NOT_SCREENED = "not_screened", "Not screened"
    NONE = "none", "None"
    POSITIVE = "positive", "Positive"
    CLEARED = "cleared", "Cleared"
    REFERRED = "referred", "Referred"


MAY_ACTIVATE = (RedFlagStatus.NONE, RedFlagStatus.CLEARED, RedFlagStatus.REFERRED)


phone_validator = RegexValidator(r"^\+?[0-9][0-9 ()-]{5,24}$", "Enter a phone number such as +1 555 010 0100.")


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=32, blank=True, validators=[phone_validator])
    timezone = models.CharField(max_length=TIMEZONE_MAX_LENGTH, validators=[validate_timezone])
    reminder_channel = models.CharField(max_length=10, choices=ReminderChannel.choices, default=ReminderChannel.EMAIL)
    reminders_opted_out = models.BooleanField(default=False)
    reminders_opted_out_at = models.DateTimeField(null=True, blank=True)
    pain_region = models.CharField(max_length=20, choices=PainRegion.choices)
    pain_onset_date = models.DateField()
    symptoms = ArrayField(models.CharField(max_length=40, choices=Symptom.choices), default=list, blank=True)
    red_flags = ArrayField(models.CharField(max_length=40, choices=RedFlag.choices), default=list, blank=True)
    red_flag_status = models.CharField(max_length=12, choices=RedFlagStatus.choices,
                                       default=RedFlagStatus.NOT_SCREENED)
    red_flag_screened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="Who completed the red-flag screen (empty for screens recorded before v2).")
    red_flag_screened_at = models.DateTimeField(null=True, blank=True)
    red_flag_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    red_flag_reviewed_at = models.DateTimeField(null=True, blank=True)
    red_flag_review_note = models.TextField(blank=True)
    primary_pt = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="pt_patients"
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="coached_patients"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["clinic", "last_name", "first_name"], name="patient_clinic_name_idx"),
            models.Index(fields=["clinic", "red_flag_status"], name="patient_clinic_flag_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pain_onset_date__gte=models.F("date_of_birth")),
                name="patient_onset_after_birth",
                violation_error_message="Pain onset cannot be before the date of birth.",
            ),
            models.CheckConstraint(
                condition=~models.Q(red_flag_status__in=[RedFlagStatus.CLEARED, RedFlagStatus.REFERRED])
                | (models.Q(red_flag_reviewed_by__isnull=False) & ~models.Q(red_flag_review_note="")),
                name="patient_red_flag_review_has_reviewer_and_note",
            ),
            models.CheckConstraint(  # a ticked flag is a positive screen (clinical-reference §2, v2)
                condition=~models.Q(red_flag_status=RedFlagStatus.NOT_SCREENED)
                | (models.Q(red_flags=[]) & models.Q(red_flag_screened_at__isnull=True)),
                name="patient_not_screened_has_no_flags",
            ),
        ]
        triggers = audit_triggers(patient="r.id", clinic="r.clinic_id")

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Alert(models.Model):
    """Something a clinician must see and acknowledge: a positive red-flag screen (clinical-reference
    §2), a PHQ-9 item-9 safety answer (§1) or no improvement at week 4 (§2, v2). Stays open until
    acknowledged with a note."""

    class Kind(models.TextChoices):
        RED_FLAG = "red_flag"
        SAFETY = "safety"
        NO_IMPROVEMENT = "no_improvement", "No improvement at week 4"

    class Severity(models.TextChoices):
        EMERGENCY = "emergency", "Emergency"
        URGENT = "urgent", "Urgent"
        REVIEW = "review", "Review"  # for the PT; after urgent and emergency alerts, above routine work

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    message = models.TextField()
    source_id = models.BigIntegerField(null=True, blank=True, help_text="The assessment that raised it, if any.")
    submitted_answers = models.JSONField(
        null=True, blank=True, help_text="The answers of a refused PHQ-9 that raised it (clinical-reference §1).")
    opened_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient"], condition=models.Q(acknowledged_at__isnull=True), name="alert_open_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acknowledged_at__isnull=True)
                | (models.Q(acknowledged_by__isnull=False) & ~models.Q(acknowledgement_note="")),
                name="alert_acknowledged_with_note",
            ),
        ]
        triggers = audit_triggers(patient="r.patient_id")

    def __str__(self):
        return f"{self.get_kind_display()} alert for patient {self.patient_id}"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None
