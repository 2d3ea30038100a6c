import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, FloatField, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast

from careplans.models import CarePlan
from careplans.selectors import care_plan_list, care_plans_visible_to, open_plans_of
from core.queries import SubqueryCount
from exercises.models import Exercise, ExerciseSession, Prescription, PrescriptionVersion, ProgramTemplate
from patients.models import Alert, Patient
from patients.selectors import patients_visible_to


def exercises_visible_to(user) -> QuerySet[Exercise]:
    """The shared library plus the user's clinic's own exercises."""
    library = Q(clinic__isnull=True)
    if user.is_superuser:
        return Exercise.objects.all()
    return Exercise.objects.filter(library | Q(clinic_id=getattr(user, "clinic_id", None)))


def templates_visible_to(user) -> QuerySet[ProgramTemplate]:
    templates = ProgramTemplate.objects.all()
    if user.is_superuser:
        return templates
    return templates.filter(clinic_id=getattr(user, "clinic_id", None))


def prescriptions_visible_to(user) -> QuerySet[Prescription]:
    return Prescription.objects.filter(care_plan__in=care_plans_visible_to(user))


def sessions_visible_to(user) -> QuerySet[ExerciseSession]:
    return ExerciseSession.objects.filter(patient__in=patients_visible_to(user))


def prescription_history(prescription: Prescription) -> list[dict]:
    """Every version with what changed from the one before: {field: [old, new]}."""
    history, previous = [], {}
    for version in prescription.versions.select_related("changed_by").order_by("version"):
        state = version_state(version)
        history.append({
            "version": version.version,
            "changed_by": version.changed_by_id,
            "changed_at": version.changed_at,
            "valid_from": version.valid_from,
            "reason": version.reason,
            "note": version.note,
            "changes": {field: [previous.get(field), value] for field, value in state.items()
                        if previous.get(field) != value},
        })
        previous = state
    return history


def version_state(version: PrescriptionVersion) -> dict:
    return {"exercise": version.exercise_id, "status": version.status,
            **{field: getattr(version, field) for field in PrescriptionVersion.DOSAGE_FIELDS}}


def prescriptions_as_of(care_plan, at: dt.datetime) -> QuerySet[PrescriptionVersion]:
    """The plan's prescriptions as they were in effect at `at`: each one's latest version by then."""
    return (
        PrescriptionVersion.objects.filter(prescription__care_plan=care_plan, valid_from__lte=at)
        .order_by("prescription_id", "-version")
        .distinct("prescription_id")
        .select_related("exercise")
    )


def session_since_sql(patient: str, since: str) -> str:
    """SQL true when the patient (an id expression) did an exercise session, not superseded, after
    `since` (a timestamp expression): the one "recent session" test of reminders and outreach."""
    return (f"EXISTS (SELECT 1 FROM exercises_exercisesession s WHERE s.patient_id = {patient} "  # noqa: S608
            f"AND s.superseded_at IS NULL AND s.performed_at > {since})")


# Adherence (clinical-reference §4) is computed by the database functions of migration
# exercises/0003, as last replaced by exercises/0007 (paused and discharged days, v2); these are the
# only ways the application reads it.


def plan_adherence_sql(plan_id_expression) -> Func:
    """Plan adherence so far (in each patient's local today) as a column, for annotating lists."""
    return Cast(Func(plan_id_expression, Value(None), function="moverx_plan_adherence"), FloatField())


def care_plans_with_adherence(user) -> QuerySet[CarePlan]:
    """`care_plan_list` with each plan's adherence so far, in the same query."""
    return care_plan_list(user).annotate(adherence=plan_adherence_sql(F("pk")))


def patient_list(user) -> QuerySet[Patient]:
    """Patients as the API and the pages show them: with their open plan, its adherence and the
    open-alert count, in one query."""
    open_plans = open_plans_of(OuterRef("pk"))
    return patients_visible_to(user).annotate(
        active_care_plan_id=Subquery(open_plans.values("pk")[:1]),
        adherence=plan_adherence_sql(Subquery(open_plans.values("pk")[:1])),
        active_care_plan_start=Subquery(open_plans.values("start_date")[:1]),
        open_alert_count=SubqueryCount(Alert.objects.filter(patient=OuterRef("pk"), acknowledged_at__isnull=True)),
    )


@dataclass(frozen=True)
class AdherenceWeek:
    plan_id: int
    week: int
    start: dt.date
    end: dt.date
    target: int | None  # the effective target, ceil(T(w) × A(w) ÷ 7)
    done: int
    adherence: float | None
    ended: bool
    active_days: int  # A(w): days of the week on which the plan was active all day
    full_target: int | None  # T(w)


def weekly_adherence(plan_ids: list[int], as_of: dt.date | None = None) -> list[AdherenceWeek]:
    """Weeks 1..12 that have started, for many plans in one query; `as_of` defaults to each
    patient's local today."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT plan_id, week, week_start, week_end, target, done, adherence, ended, active_days, full_target
               FROM moverx_weekly_adherence(%s::bigint[], %s::date)""",
            [list(plan_ids), as_of],
        )
        return [AdherenceWeek(plan_id, week, start, end, target, done,
                              None if adherence is None else float(adherence), ended, active_days, full_target)
                for plan_id, week, start, end, target, done, adherence, ended, active_days, full_target
                in cursor.fetchall()]


def plans_adherence(plan_ids: list[int], as_of: dt.date | None = None) -> dict[int, float | None]:
    """Plan adherence for many plans in one query: the mean a(w) over ended weeks with a target."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT plan_id, AVG(adherence) FILTER (WHERE target IS NOT NULL AND ended)
               FROM moverx_weekly_adherence(%s::bigint[], %s::date) GROUP BY plan_id""",
            [list(plan_ids), as_of],
        )
        found = {plan_id: None if value is None else float(value) for plan_id, value in cursor.fetchall()}
    return {plan_id: found.get(plan_id) for plan_id in plan_ids}
