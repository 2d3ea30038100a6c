from django.db.models import OuterRef, QuerySet

from careplans.models import CarePlan, Visit
from core.queries import SubqueryCount
from patients.selectors import patients_visible_to

VISIT_WARNING_SHARE = 0.8  # warn when 80% of the authorised visits are used (API.md, visits)


def care_plans_visible_to(user) -> QuerySet[CarePlan]:
    return CarePlan.objects.filter(patient__in=patients_visible_to(user))


def care_plan_list(user) -> QuerySet[CarePlan]:
    """Plans as the API shows them: with patient (for local dates), goals and visits used."""
    return (
        care_plans_visible_to(user)
        .select_related("patient")
        .prefetch_related("goals")
        .annotate(visits_used=SubqueryCount(Visit.objects.filter(care_plan=OuterRef("pk"))))
    )


def visits_visible_to(user) -> QuerySet[Visit]:
    return Visit.objects.filter(care_plan__in=care_plans_visible_to(user)).select_related("care_plan")


# A plan's lifecycle (DESIGN.md, care journey): each step, the statuses it may start from and where it
# leads. The services apply it and the patient's page offers exactly these steps.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "activate": ((CarePlan.Status.DRAFT,), CarePlan.Status.ACTIVE),
    "pause": ((CarePlan.Status.ACTIVE,), CarePlan.Status.PAUSED),
    "resume": ((CarePlan.Status.PAUSED,), CarePlan.Status.ACTIVE),
    "discharge": (CarePlan.OPEN_STATUSES, CarePlan.Status.DISCHARGED),
}


def allowed_transitions(plan: CarePlan) -> list[str]:
    """The lifecycle steps a plan in its status may take, in the order the page offers them."""
    return [step for step, (sources, _) in TRANSITIONS.items() if plan.status in sources]


def open_plans_of(patient) -> QuerySet[CarePlan]:
    """A patient's active or paused plan (at most one: a database constraint)."""
    return CarePlan.objects.filter(patient=patient, status__in=CarePlan.OPEN_STATUSES)


def coverage_summary(plan: CarePlan, visits_used: int) -> dict:
    limit = plan.visit_limit
    warning = None
    if limit:
        if visits_used >= limit:
            warning = f"All {limit} authorised visits are used; further visits need a new authorisation."
        elif visits_used >= VISIT_WARNING_SHARE * limit:
            warning = f"{visits_used} of {limit} authorised visits are used."
    return {
        "payer": plan.payer,
        "referral_required": plan.referral_required,
        "visit_limit": limit,
        "visits_used": visits_used,
        "visits_remaining": None if limit is None else max(limit - visits_used, 0),
        "warning": warning,
    }
