import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from accounts.models import Clinic
from careplans.models import CarePlan
from core.audit import audit_triggers
from core.models import NO_DELETE_TRIGGER, CorrectableFact, correctable_fact_triggers, refuse_truncate
from outcomes.instruments import Code
from patients.models import Patient


class Assessment(CorrectableFact):
    """One completed instrument (append-only: a correction supersedes it). The score and band are
    computed on the server from the answers (clinical-reference §1)."""

    class Source(models.TextChoices):
        PATIENT_APP = "patient_app"
        STAFF = "staff"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    care_plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="assessments", help_text="The open plan when it was recorded.")
    instrument = models.CharField(max_length=8, choices=Code.choices)
    answers = models.JSONField()
    score = models.DecimalField(max_digits=5, decimal_places=1)
    band = models.CharField(max_length=20, blank=True)
    collected_at = models.DateTimeField()
    source = models.CharField(max_length=12, choices=Source.choices)
    external_id = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-collected_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "instrument", "collected_at"], name="assessment_patient_instr_idx",
                         condition=models.Q(superseded_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=0, score__lte=100), name="assessment_score_range"),
            models.UniqueConstraint(fields=["patient", "external_id"], condition=~models.Q(external_id=""),
                                    name="assessment_external_id_unique"),
        ]
        triggers = [*correctable_fact_triggers(), *audit_triggers(patient="r.patient_id")]

    def __str__(self):
        return f"{self.get_instrument_display()} {self.score} for patient {self.patient_id}"


class OutcomeReport(models.Model):
    """A 12-week change report (clinical-reference §5): a stored snapshot of its inputs and figures.
    Once done (or failed) the database refuses any change, so recomputing never alters it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    class Segment(models.TextChoices):
        EPISODE_TYPE = "episode_type"
        PT = "pt"
        COACH = "coach"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="reports",
                               help_text="Empty: every clinic (admins only).")
    start_from = models.DateField()
    start_to = models.DateField()
    as_of = models.DateField(help_text="The report date: plans must be mature by then (S + 98 days).")
    segment_by = models.CharField(max_length=12, choices=Segment.choices, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    results = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    code_version = models.CharField(max_length=80, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", help_text="Empty for the scheduled monthly reports.")
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True,
                                         help_text="When the computation was last handed to the outbox.")
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of the running worker.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Runs started, counting those a lost worker "
                                                                     "left unfinished.")

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(start_to__gte=models.F("start_from")),
                                   name="report_range_ordered"),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="report_progress_0_100"),
        ]
        triggers = [
            pgtrigger.Protect(name=NO_DELETE_TRIGGER, operation=pgtrigger.Delete),
            pgtrigger.Protect(name="snapshot_is_final", operation=pgtrigger.Update,
                              condition=pgtrigger.Q(old__status__in=["done", "failed"])),
            refuse_truncate(),
        ]

    def __str__(self):
        return f"Outcome report {self.pk} ({self.status})"
