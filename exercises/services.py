import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from careplans.models import CarePlan
from careplans.services import require_lead
from core.clock import local_today, refuse_future
from core.errors import Conflict, InvalidInput, StaleVersion
from core.resend import record_once, supersede
from exercises.models import (
    ChangeReason,
    Exercise,
    ExerciseSession,
    Prescription,
    PrescriptionVersion,
    ProgramTemplate,
    SessionPrescription,
    TemplateItem,
)

DOSAGE_FIELDS = Prescription.DOSAGE_FIELDS
PRESCRIBABLE_STATUSES = (CarePlan.Status.DRAFT, CarePlan.Status.ACTIVE, CarePlan.Status.PAUSED)


# --- Exercise library ---------------------------------------------------------------------------


def _check_links(exercise: Exercise) -> None:
    for name in ("progression", "regression"):
        linked = getattr(exercise, name)
        if linked is not None and (linked.pk == exercise.pk or linked.clinic_id not in (None, exercise.clinic_id)):
            raise InvalidInput({name: ["Choose another exercise from the library or your clinic."]})


def exercise_create(*, actor, clinic, name: str, **fields) -> Exercise:
    """A clinic's custom exercise: only that clinic sees it."""
    base = slugify(name)[:70] or "exercise"
    slug, n = base, 1
    while Exercise.objects.filter(clinic=clinic, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    exercise = Exercise(clinic=clinic, slug=slug, name=name, created_by=actor, **fields)
    _check_links(exercise)
    exercise.save()
    return exercise


def exercise_update(*, exercise: Exercise, **changes) -> Exercise:
    if exercise.clinic_id is None:
        raise Conflict("The shared library cannot be edited; create a custom exercise instead.")
    for name, value in changes.items():
        setattr(exercise, name, value)
    _check_links(exercise)
    exercise.save()
    return exercise


# --- Programme templates ------------------------------------------------------------------------


def _check_clinic_exercises(clinic_id: int, exercises) -> None:
    if any(exercise.clinic_id not in (None, clinic_id) for exercise in exercises):
        raise InvalidInput({"items": ["Exercises must come from the library or the template's clinic."]})


@transaction.atomic
def template_save(*, actor, clinic, template: ProgramTemplate | None = None, name=None, description=None,
                  items=None) -> ProgramTemplate:
    """Create a template, or change one (items, when given, replace the old ones)."""
    template = template or ProgramTemplate(clinic=clinic, created_by=actor)
    if name is not None:
        template.name = name
    if description is not None:
        template.description = description
    if ProgramTemplate.objects.filter(clinic=template.clinic, name=template.name).exclude(pk=template.pk).exists():
        raise InvalidInput({"name": ["Your clinic already has a template with this name."]})
    template.save()
    if items is not None:
        _check_clinic_exercises(template.clinic_id, [item["exercise"] for item in items])
        template.items.all().delete()
        TemplateItem.objects.bulk_create(
            TemplateItem(template=template, position=position, **_with_default_dosage(item))
            for position, item in enumerate(items))
    return template


def template_delete(*, template: ProgramTemplate) -> None:
    template.delete()


@transaction.atomic
def template_apply(*, actor, template: ProgramTemplate, care_plan: CarePlan, start_date=None) -> list[Prescription]:
    """Prescribe every item of the template on the plan, all or nothing."""
    if template.clinic_id != care_plan.patient.clinic_id:
        raise InvalidInput({"care_plan": ["The template belongs to another clinic."]})
    return [
        prescription_create(actor=actor, care_plan=care_plan, exercise=item.exercise, start_date=start_date,
                            **{field: getattr(item, field) for field in DOSAGE_FIELDS})
        for item in template.items.select_related("exercise")
    ]


# --- Prescriptions ------------------------------------------------------------------------------


def _with_default_dosage(values: dict) -> dict:
    """Sets and reps/hold from the exercise's defaults when the PT gave none."""
    exercise = values["exercise"]
    values = dict(values)
    if values.get("sets") is None:
        values["sets"] = exercise.default_sets
    if values.get("reps") is None and values.get("hold_seconds") is None:
        values["reps"], values["hold_seconds"] = exercise.default_reps, exercise.default_hold_seconds
    return values


def _local_midnight(day: dt.date, tz_name: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(tz_name))


def _check_plan_open_for_prescribing(plan: CarePlan) -> None:
    if plan.status not in PRESCRIBABLE_STATUSES:
        raise Conflict(f"Prescriptions can only change on a draft, active or paused plan; this one is {plan.status}.")


def _record_version(prescription: Prescription, *, actor, reason, note, valid_from) -> PrescriptionVersion:
    return PrescriptionVersion.objects.create(
        prescription=prescription, version=prescription.version, exercise_id=prescription.exercise_id,
        status=prescription.status, valid_from=valid_from, reason=reason, note=note, changed_by=actor,
        changed_at=timezone.now(), **{field: getattr(prescription, field) for field in DOSAGE_FIELDS},
    )


@transaction.atomic
def prescription_create(*, actor, care_plan: CarePlan, exercise: Exercise, start_date=None, **dosage) -> Prescription:
    """Prescribe an exercise (DESIGN.md, care journey step 4). It takes effect from the start of
    `start_date` in the patient's time zone: by default the later of today and the plan's start."""
    require_lead(actor, care_plan)  # the programme is part of the plan: its rule
    _check_plan_open_for_prescribing(care_plan)
    patient = care_plan.patient
    if exercise.clinic_id not in (None, patient.clinic_id):
        raise InvalidInput({"exercise": ["This exercise belongs to another clinic."]})
    start_date = start_date or max(local_today(patient.timezone), care_plan.start_date)
    if start_date < care_plan.start_date:
        raise InvalidInput({"start_date": ["A prescription cannot start before its plan."]})
    values = _with_default_dosage({"exercise": exercise, **{k: v for k, v in dosage.items() if v is not None}})
    prescription = Prescription.objects.create(care_plan=care_plan, start_date=start_date, created_by=actor, **values)
    _record_version(prescription, actor=actor, reason=ChangeReason.PRESCRIBED, note="",
                    valid_from=_local_midnight(start_date, patient.timezone))
    return prescription


def _locked_prescription(actor, prescription_id: int, expected_version: int | None) -> Prescription:
    prescription = (Prescription.objects.select_for_update(no_key=True)
                    .select_related("care_plan__patient", "care_plan__lead_pt").get(pk=prescription_id))
    require_lead(actor, prescription.care_plan)
    if expected_version is not None and prescription.version != expected_version:
        raise StaleVersion()
    if prescription.status != Prescription.Status.ACTIVE:
        raise Conflict("This prescription was discontinued; prescribe the exercise again instead.")
    _check_plan_open_for_prescribing(prescription.care_plan)
    return prescription


def _next_valid_from(prescription: Prescription) -> dt.datetime:
    """A change takes effect now, or when the prescription starts if that is still ahead."""
    current = prescription.versions.order_by("-version").values_list("valid_from", flat=True).first()
    return max(timezone.now(), current)


@transaction.atomic
def prescription_modify(*, actor, prescription_id: int, expected_version: int, reason: str, note: str = "",
                        **changes) -> Prescription:
    """Progress, regress or change the dosage: a new version with its reason (append-only)."""
    prescription = _locked_prescription(actor, prescription_id, expected_version)
    if "exercise" in changes and changes["exercise"].clinic_id not in (None, prescription.care_plan.patient.clinic_id):
        raise InvalidInput({"exercise": ["This exercise belongs to another clinic."]})
    changed = {name: value for name, value in changes.items()
               if getattr(prescription, name) != value}
    if not changed:
        raise InvalidInput({"non_field_errors": ["Nothing would change."]})
    for name, value in changed.items():
        setattr(prescription, name, value)
    if prescription.reps is None and prescription.hold_seconds is None:
        raise InvalidInput({"reps": ["Give repetitions or a hold time."]})
    prescription.version += 1
    prescription.save()
    _record_version(prescription, actor=actor, reason=reason, note=note, valid_from=_next_valid_from(prescription))
    return prescription


@transaction.atomic
def prescription_discontinue(*, actor, prescription_id: int, reason: str, note: str = "",
                             expected_version: int | None = None) -> Prescription:
    prescription = _locked_prescription(actor, prescription_id, expected_version)
    prescription.status = Prescription.Status.DISCONTINUED
    prescription.version += 1
    prescription.save()
    _record_version(prescription, actor=actor, reason=reason, note=note, valid_from=_next_valid_from(prescription))
    return prescription


# --- Exercise sessions --------------------------------------------------------------------------


def _session_plan(patient, prescriptions, performed_at) -> CarePlan:
    if not prescriptions:
        raise InvalidInput({"prescriptions": ["Name at least one prescribed exercise that was done."]})
    plan_ids = {prescription.care_plan_id for prescription in prescriptions}  # ids: no query per exercise
    plan = CarePlan.objects.get(pk=plan_ids.pop())
    if plan_ids or plan.patient_id != patient.pk:
        raise InvalidInput({"prescriptions": ["The exercises must belong to this patient's care plan."]})
    refuse_future(performed_at, field="performed_at", message="A session cannot be in the future.")
    if performed_at < _local_midnight(plan.start_date, patient.timezone):
        raise InvalidInput({"performed_at": ["The session is before the care plan started."]})
    return plan


def _create_session(*, actor, patient, prescriptions, performed_at, source, **fields) -> ExerciseSession:
    plan = _session_plan(patient, prescriptions, performed_at)
    session = ExerciseSession.objects.create(patient=patient, care_plan=plan, performed_at=performed_at,
                                             source=source, recorded_by=actor, **fields)
    SessionPrescription.objects.bulk_create(
        SessionPrescription(session=session, prescription=prescription) for prescription in set(prescriptions))
    return session


def _same_session(stored: ExerciseSession, *, performed_at, prescriptions, duration_minutes, pain_during) -> bool:
    done = {getattr(prescription, "pk", prescription) for prescription in prescriptions}
    return ((stored.performed_at, stored.duration_minutes, stored.pain_during) == (performed_at, duration_minutes,
                                                                                  pain_during)
            and set(stored.prescriptions.values_list("pk", flat=True)) == done)


def session_record(*, actor, patient, performed_at, prescriptions, source, external_id="", duration_minutes=None,
                   pain_during=None) -> tuple[ExerciseSession, bool]:
    """Record a session the patient did (DESIGN.md, step 5). A repeat of the same `external_id` with
    the same content (the patient app retrying) returns the session already stored: (session,
    created); with other content it is a 409 naming the stored one (clinical-reference §1, v2)."""
    return record_once(
        ExerciseSession, patient=patient, external_id=external_id, label="session",
        same=lambda stored: _same_session(stored, performed_at=performed_at, prescriptions=prescriptions,
                                          duration_minutes=duration_minutes, pain_during=pain_during),
        create=lambda: _create_session(actor=actor, patient=patient, prescriptions=prescriptions,
                                       performed_at=performed_at, source=source, external_id=external_id,
                                       duration_minutes=duration_minutes, pain_during=pain_during))


def session_supersede(*, actor, session_id: int, reason: str, performed_at, prescriptions, source,
                      duration_minutes=None, pain_during=None) -> ExerciseSession:
    """Correct a session: a new row that supersedes the old one; nothing is edited or deleted."""
    return supersede(
        ExerciseSession.objects.select_related("patient"), row_id=session_id, reason=reason, label="session",
        create=lambda old: _create_session(actor=actor, patient=old.patient, prescriptions=prescriptions,
                                           performed_at=performed_at, source=source,
                                           duration_minutes=duration_minutes, pain_during=pain_during,
                                           supersedes=old, supersede_reason=reason))
