from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from core.audit import audit_triggers
from core.models import qualified
from patients.models import Patient

_PLAN_PATIENT = f"(SELECT patient_id FROM {qualified('careplans_careplan')} WHERE id = r.care_plan_id)"  # noqa: S608


class Equipment(models.TextChoices):
    """Equipment a patient may have at home; the exercise library uses the same words."""

    EXERCISE_BALL = "exercise_ball"
    RESISTANCE_BAND = "resistance_band"
    FOAM_ROLLER = "foam_roller"
    WEIGHTED_BAR = "weighted_bar"
    STABILITY_DISC = "stability_disc"
    MASSAGE_BALL = "massage_ball"
    KINESIOLOGY_TAPE = "kinesiology_tape"


class Modality(models.TextChoices):
    HEAT = "heat"
    COLD = "cold"
    TENS = "tens"
    MANUAL_THERAPY = "manual_therapy"
    TRACTION = "traction"


class GoalCategory(models.TextChoices):
    FUNCTION = "function", "Improve function"
    PAIN = "pain", "Relieve pain"
    RANGE_OF_MOTION = "range_of_motion", "Increase range of motion"
    CORE_STRENGTH = "core_strength", "Strengthen core"
    EDUCATION = "education", "Self-management education"
    PREVENTION = "prevention", "Prevention"
    MEDICATION_REDUCTION = "medication_reduction", "Reduce reliance on medication or surgery"


class CarePlan(models.Model):
    """An episode of care, normally 12 weeks. Week 1 starts on `start_date` (DESIGN.md, Time)."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        ACTIVE = "active"
        PAUSED = "paused"
        DISCHARGED = "discharged"

    OPEN_STATUSES = (Status.ACTIVE, Status.PAUSED)

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_plans")
    lead_pt = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_care_plans")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    start_date = models.DateField()
    planned_weeks = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    payer = models.CharField(max_length=200, blank=True)
    referral_required = models.BooleanField(default=False)
    visit_limit = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(500)],
        help_text="Visits the payer authorised; blank when unlimited.",
    )
    modalities = ArrayField(models.CharField(max_length=20, choices=Modality.choices), default=list, blank=True)
    equipment = ArrayField(models.CharField(max_length=20, choices=Equipment.choices), default=list, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["status", "start_date"], name="careplan_status_start_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status__in=["active", "paused"]),
                name="careplan_one_open_plan_per_patient",
                violation_error_message="The patient already has an active or paused care plan.",
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="careplan_version_positive"),
        ]
        triggers = audit_triggers(patient="r.patient_id")

    def __str__(self):
        return f"Care plan {self.pk} ({self.status}) for patient {self.patient_id}"


class Goal(models.Model):
    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    category = models.CharField(max_length=30, choices=GoalCategory.choices)
    description = models.CharField(max_length=300)
    target = models.CharField(max_length=200, help_text='Measurable, e.g. "NPRS <= 3" or "walk 30 min".')
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        triggers = audit_triggers(patient=_PLAN_PATIENT)

    def __str__(self):
        return self.description


class Visit(models.Model):
    """A clinical encounter; each counts toward the plan's authorised visits."""

    class Mode(models.TextChoices):
        VIDEO = "video"
        IN_CLINIC = "in_clinic"
        PHONE = "phone"

    class Kind(models.TextChoices):
        EVALUATION = "evaluation"
        FOLLOW_UP = "follow_up"
        REASSESSMENT = "reassessment"
        DISCHARGE = "discharge"

    care_plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="visits")
    occurred_at = models.DateTimeField()
    mode = models.CharField(max_length=12, choices=Mode.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    notes = models.TextField(blank=True)
    movement_assessment = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        triggers = audit_triggers(patient=_PLAN_PATIENT)

    def __str__(self):
        return f"{self.get_kind_display()} visit on {self.occurred_at:%Y-%m-%d}"


class StatusChange(models.Model):
    """The plan's lifecycle history: every activation, pause, resumption and discharge."""

    care_plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=12, choices=CarePlan.Status.choices)
    to_status = models.CharField(max_length=12, choices=CarePlan.Status.choices)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]
        triggers = audit_triggers(patient=_PLAN_PATIENT)

    def __str__(self):
        return f"{self.from_status} → {self.to_status}"
