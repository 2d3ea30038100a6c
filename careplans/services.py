from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.roles import Cap, Role, can
from careplans.models import CarePlan, Goal, StatusChange, Visit
from careplans.selectors import TRANSITIONS, allowed_transitions, open_plans_of
from core.clock import refuse_future
from core.errors import Conflict, Forbidden, InvalidInput, StaleVersion
from patients.models import MAY_ACTIVATE, RedFlagStatus

Status = CarePlan.Status


def may_lead(actor, plan: CarePlan) -> bool:
    """A plan's lifecycle belongs to its lead PT (DESIGN.md, roles); when the lead has left the
    clinic, any of the clinic's PTs may take it over."""
    if actor.is_superuser:
        return True
    if not can(actor, Cap.LEAD_CARE_PLAN):
        return False
    return plan.lead_pt_id == actor.pk or not plan.lead_pt.is_active


def require_lead(actor, plan: CarePlan) -> None:
    """403 unless `may_lead`: for the plan itself and for its programme (exercises.services)."""
    if not may_lead(actor, plan):
        raise Forbidden("Only the plan's lead PT can change this plan or its exercises.")


def _locked_plan(plan_id: int) -> CarePlan:
    return CarePlan.objects.select_for_update(no_key=True).select_related("patient", "lead_pt").get(pk=plan_id)


def _validate_lead(lead_pt, patient) -> None:
    if lead_pt.role != Role.PT or lead_pt.clinic_id != patient.clinic_id or not lead_pt.is_active:
        raise InvalidInput({"lead_pt": ["The lead must be an active PT of the patient's clinic."]})


GOAL_FIELDS = ("category", "description", "target")


def _replace_goals(plan: CarePlan, goals: list[dict]) -> None:
    """The plan's goals become `goals`; the same goals again change nothing (ids, audit trail)."""
    if list(plan.goals.values_list(*GOAL_FIELDS)) == [tuple(goal[name] for name in GOAL_FIELDS) for goal in goals]:
        return
    plan.goals.all().delete()
    Goal.objects.bulk_create(Goal(care_plan=plan, **goal) for goal in goals)


@transaction.atomic
def care_plan_create(*, actor, patient, start_date, goals=(), coverage=None, modalities=(), equipment=(),
                     lead_pt=None) -> CarePlan:
    """Open a draft plan (DESIGN.md, care journey step 3). The creating PT leads it unless another is named."""
    lead_pt = lead_pt or actor
    _validate_lead(lead_pt, patient)
    plan = CarePlan.objects.create(
        patient=patient,
        lead_pt=lead_pt,
        start_date=start_date,
        modalities=list(dict.fromkeys(modalities)),
        equipment=list(dict.fromkeys(equipment)),
        created_by=actor,
        **(coverage or {}),
    )
    _replace_goals(plan, list(goals))
    return plan


@transaction.atomic
def care_plan_update(*, actor, plan_id: int, expected_version: int, goals=None, coverage=None, **changes) -> CarePlan:
    """Edit a plan the caller saw at `expected_version` (412 when someone changed it since)."""
    plan = _locked_plan(plan_id)
    require_lead(actor, plan)
    if plan.version != expected_version:
        raise StaleVersion()
    if plan.status == Status.DISCHARGED:
        raise Conflict("A discharged plan cannot be changed.")
    if "start_date" in changes and changes["start_date"] != plan.start_date and plan.status != Status.DRAFT:
        raise Conflict("The start date can only change while the plan is a draft.")
    if "lead_pt" in changes:
        _validate_lead(changes["lead_pt"], plan.patient)
    for name, value in {**changes, **(coverage or {})}.items():
        setattr(plan, name, value)
    if goals is not None:
        _replace_goals(plan, goals)
    plan.version += 1
    plan.save()
    return plan


def _transition(*, actor, plan_id: int, step: str, note: str = "", check=None) -> CarePlan:
    _, to = TRANSITIONS[step]
    with transaction.atomic():
        plan = _locked_plan(plan_id)
        require_lead(actor, plan)
        if step not in allowed_transitions(plan):
            raise Conflict(f"A {plan.status} plan cannot become {to}.")
        if check:
            check(plan)
        from_status, plan.status = plan.status, to
        now = timezone.now()
        if to == Status.ACTIVE and plan.activated_at is None:
            plan.activated_at = now
        if to == Status.DISCHARGED:
            plan.discharged_at = now
        plan.version += 1
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError as error:  # a concurrent activation won the one-open-plan constraint
            raise Conflict("The patient already has an active or paused care plan.") from error
        StatusChange.objects.create(care_plan=plan, from_status=from_status, to_status=to, note=note, changed_by=actor)
    return plan


RED_FLAG_REFUSALS = {
    RedFlagStatus.NOT_SCREENED: "The patient has not been screened for red flags: a PT must complete the red-flag "
                                "screen first.",
    RedFlagStatus.POSITIVE: "The patient has positive red flags: a PT must record a clearance or referral first.",
}


def _check_red_flag_screen(status: str, allowed=MAY_ACTIVATE) -> None:
    """Clinical-reference §2 (v2): activation only from none, cleared or referred."""
    if status not in allowed:
        raise Conflict(RED_FLAG_REFUSALS[status])


def _check_can_activate(plan: CarePlan) -> None:
    _check_red_flag_screen(plan.patient.red_flag_status)
    if not plan.goals.exists():
        raise Conflict("Add at least one goal with a measurable target before activating the plan.")
    if open_plans_of(plan.patient_id).exclude(pk=plan.pk).exists():
        raise Conflict("The patient already has an active or paused care plan.")


def care_plan_activate(*, actor, plan_id: int, note: str = "") -> CarePlan:
    return _transition(actor=actor, plan_id=plan_id, step="activate", note=note,
                       check=_check_can_activate)


def care_plan_pause(*, actor, plan_id: int, note: str = "") -> CarePlan:
    return _transition(actor=actor, plan_id=plan_id, step="pause", note=note)


def _check_can_resume(plan: CarePlan) -> None:
    """Resuming makes the plan active again, so a positive red flag raised meanwhile blocks it as it blocks
    activation (clinical-reference §2); a patient stored before v2 as not screened goes on as before."""
    _check_red_flag_screen(plan.patient.red_flag_status, allowed=(*MAY_ACTIVATE, RedFlagStatus.NOT_SCREENED))


def care_plan_resume(*, actor, plan_id: int, note: str = "") -> CarePlan:
    return _transition(actor=actor, plan_id=plan_id, step="resume", note=note,
                       check=_check_can_resume)


def care_plan_discharge(*, actor, plan_id: int, note: str = "") -> CarePlan:
    return _transition(actor=actor, plan_id=plan_id, step="discharge", note=note)


def visit_record(*, actor, care_plan: CarePlan, occurred_at, mode, kind, notes="", movement_assessment="") -> Visit:
    refuse_future(occurred_at, field="occurred_at", message="A visit cannot be recorded in the future.")
    if care_plan.status == Status.DISCHARGED:
        raise Conflict("The plan is discharged; visits can no longer be added.")
    return Visit.objects.create(
        care_plan=care_plan, occurred_at=occurred_at, mode=mode, kind=kind, notes=notes,
        movement_assessment=movement_assessment, recorded_by=actor,
    )
