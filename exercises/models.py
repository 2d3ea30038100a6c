import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.models import Clinic
from careplans.models import CarePlan, Equipment
from core.audit import audit_triggers
from core.models import APPEND_ONLY_TRIGGER, CorrectableFact, correctable_fact_triggers, qualified, refuse_truncate
from patients.models import Patient

_PLAN_PATIENT = f"(SELECT patient_id FROM {qualified('careplans_careplan')} WHERE id = r.care_plan_id)"  # noqa: S608
_PRESCRIPTION_PATIENT = (
    f"(SELECT cp.patient_id FROM {qualified('exercises_prescription')} pr"  # noqa: S608 (constant names)
    f" JOIN {qualified('careplans_careplan')} cp ON cp.id = pr.care_plan_id"
    " WHERE pr.id = r.prescription_id)"
)

# The library's equipment words: what a plan records the patient has, plus "none" (bodyweight).
EXERCISE_EQUIPMENT = [("none", "None"), *[(value, label) for value, label in Equipment.choices
                                          if value != Equipment.KINESIOLOGY_TAPE]]


class Category(models.TextChoices):
    STRETCHING = "stretching"
    STRENGTHENING = "strengthening"
    MOBILITY = "mobility"
    STABILITY = "stability"
    BALANCE = "balance"
    AEROBIC = "aerobic"


class BodyRegion(models.TextChoices):
    LOW_BACK = "low_back"
    UPPER_BACK = "upper_back"
    NECK = "neck"
    CORE = "core"
    HIPS = "hips"
    LEGS = "legs"
    SHOULDERS = "shoulders"


class Side(models.TextChoices):
    BOTH = "both"
    LEFT = "left"
    RIGHT = "right"
    NONE = "none"


class Exercise(models.Model):
    """A library exercise (`clinic` empty: shipped with the product, every clinic sees it) or a
    clinic's custom exercise (only that clinic sees it)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="exercises")
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=20, choices=Category.choices)
    body_regions = ArrayField(models.CharField(max_length=20, choices=BodyRegion.choices))
    equipment = ArrayField(models.CharField(max_length=20, choices=EXERCISE_EQUIPMENT))
    difficulty = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    instructions = models.TextField()
    default_sets = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10)])
    default_reps = models.PositiveSmallIntegerField(null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(100)])
    default_hold_seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text="Hold per repetition; for aerobic exercises, the duration.",
    )
    progression = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    regression = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["slug"], condition=models.Q(clinic__isnull=True),
                                    name="exercise_library_slug_unique"),
            models.UniqueConstraint(fields=["clinic", "slug"], name="exercise_clinic_slug_unique"),
            models.CheckConstraint(condition=models.Q(difficulty__gte=1, difficulty__lte=5),
                                   name="exercise_difficulty_1_5"),
            models.CheckConstraint(
                condition=models.Q(default_reps__isnull=False) | models.Q(default_hold_seconds__isnull=False),
                name="exercise_has_reps_or_hold",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "category"], name="exercise_clinic_category_idx")]
        triggers = audit_triggers(patient=None, clinic="r.clinic_id")

    def __str__(self):
        return self.name


class Dosage(models.Model):
    """What a patient is asked to do with one exercise; shared by prescriptions, their versions and
    template items."""

    sets = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10)])
    reps = models.PositiveSmallIntegerField(null=True, blank=True,
                                            validators=[MinValueValidator(1), MaxValueValidator(100)])
    hold_seconds = models.PositiveSmallIntegerField(null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(3600)])
    # clinical-reference §4: the default is 3 sessions a week (Shebib et al. 2019).
    times_per_week = models.PositiveSmallIntegerField(default=3, validators=[MinValueValidator(1),
                                                                             MaxValueValidator(14)])
    side = models.CharField(max_length=10, choices=Side.choices, default=Side.BOTH)
    load = models.CharField(max_length=100, blank=True, help_text='e.g. "red band" or "5 kg".')
    notes = models.TextField(blank=True)

    DOSAGE_FIELDS = ("sets", "reps", "hold_seconds", "times_per_week", "side", "load", "notes")

    class Meta:
        abstract = True


def _dosage_constraints(prefix: str) -> list:
    return [
        models.CheckConstraint(condition=models.Q(reps__isnull=False) | models.Q(hold_seconds__isnull=False),
                               name=f"{prefix}_has_reps_or_hold"),
        models.CheckConstraint(condition=models.Q(times_per_week__gte=1, times_per_week__lte=14),
                               name=f"{prefix}_times_per_week_range"),
    ]


class ProgramTemplate(models.Model):
    """A clinic's saved programme ("Low back, beginner"), applied to a plan in one step."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="program_templates")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="template_clinic_name_unique")]

    def __str__(self):
        return self.name


class TemplateItem(Dosage):
    template = models.ForeignKey(ProgramTemplate, on_delete=models.CASCADE, related_name="items")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = _dosage_constraints("templateitem")

    def __str__(self):
        return f"{self.template_id}: exercise {self.exercise_id}"


class Prescription(Dosage):
    """One exercise prescribed on a plan, in its current version. Every change (including the
    first) is also an append-only `PrescriptionVersion`, from which any past state is rebuilt."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        DISCONTINUED = "discontinued"

    care_plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="prescriptions")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = _dosage_constraints("prescription")
        indexes = [models.Index(fields=["care_plan", "status"], name="prescription_plan_status_idx")]
        triggers = audit_triggers(patient=_PLAN_PATIENT)

    def __str__(self):
        return f"{self.exercise_id} on plan {self.care_plan_id} (v{self.version})"


class ChangeReason(models.TextChoices):
    PRESCRIBED = "prescribed"  # version 1
    PROGRESSION = "progression"
    REGRESSION = "regression"
    DOSAGE = "dosage"
    PAIN = "pain"
    OTHER = "other"


class PrescriptionVersion(Dosage):
    """A prescription as it was from `valid_from` until the next version (append-only)."""

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Prescription.Status.choices)
    valid_from = models.DateTimeField(help_text="When this version took effect.")
    reason = models.CharField(max_length=12, choices=ChangeReason.choices)
    note = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(help_text="When the change was recorded.")

    class Meta:
        ordering = ["prescription_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["prescription", "version"], name="prescription_version_unique"),
            *_dosage_constraints("prescriptionversion"),
        ]
        triggers = [
            pgtrigger.Protect(name=APPEND_ONLY_TRIGGER, operation=pgtrigger.Update | pgtrigger.Delete),
            *audit_triggers(patient=_PRESCRIPTION_PATIENT),
        ]

    def __str__(self):
        return f"prescription {self.prescription_id} v{self.version}"


class ExerciseSession(CorrectableFact):
    """A home exercise session the patient did (append-only: a correction supersedes it)."""

    class Source(models.TextChoices):
        PATIENT_APP = "patient_app"
        STAFF = "staff"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="exercise_sessions")
    care_plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="exercise_sessions")
    performed_at = models.DateTimeField()
    prescriptions = models.ManyToManyField(Prescription, through="SessionPrescription", related_name="sessions")
    duration_minutes = models.PositiveSmallIntegerField(null=True, blank=True,
                                                        validators=[MinValueValidator(1), MaxValueValidator(600)])
    pain_during = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(10)])
    source = models.CharField(max_length=12, choices=Source.choices)
    external_id = models.CharField(max_length=100, blank=True,
                                   help_text="The sender's id for this session; a repeat of it is not stored twice.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-performed_at", "-id"]
        indexes = [
            models.Index(fields=["care_plan", "performed_at"], name="session_plan_time_idx",
                         condition=models.Q(superseded_at__isnull=True)),
            models.Index(fields=["patient", "-performed_at"], name="session_patient_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(pain_during__lte=10), name="session_pain_0_10"),
            models.UniqueConstraint(fields=["patient", "external_id"], condition=~models.Q(external_id=""),
                                    name="session_external_id_unique"),
        ]
        triggers = [*correctable_fact_triggers(), *audit_triggers(patient="r.patient_id")]

    def __str__(self):
        return f"Session {self.pk} of patient {self.patient_id} at {self.performed_at:%Y-%m-%d %H:%M}"


class SessionPrescription(models.Model):
    """Which prescribed exercises a session included (append-only, like the session)."""

    session = models.ForeignKey(ExerciseSession, on_delete=models.PROTECT, related_name="+")
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "prescription"], name="session_prescription_unique")]
        triggers = [pgtrigger.Protect(name=APPEND_ONLY_TRIGGER, operation=pgtrigger.Update | pgtrigger.Delete),
                    refuse_truncate()]

    def __str__(self):
        return f"session {self.session_id}: prescription {self.prescription_id}"
