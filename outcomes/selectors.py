import datetime as dt
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Abs, TruncDate

from careplans.models import CarePlan
from careplans.schedule import TIME_POINTS as POINTS
from careplans.selectors import care_plans_visible_to, open_plans_of
from core.bounds import Kind, date_range, is_suspect
from outcomes.instruments import Code
from outcomes.models import Assessment, OutcomeReport
from patients.clinical import DaysBetween
from patients.models import Alert
from patients.selectors import patients_visible_to

# Reassessment points: (name, plan week, due day, window from, window to), days from the plan start:
# the report's time points and windows (clinical-reference §5, v2), so "done" means the report can use it.
POINT_NAMES = ("baseline", "week_4", "week_8", "week_12")
REASSESSMENT_POINTS = [(name, day // 7, day, low, high)
                       for name, (day, (low, high)) in zip(POINT_NAMES, POINTS, strict=True)]
REASSESSMENT_STATUSES = ["done", "upcoming", "due", "overdue", "missed"]


def assessments_visible_to(user) -> QuerySet[Assessment]:
    return Assessment.objects.filter(patient__in=patients_visible_to(user))


def plan_started_by(patient, moment: dt.datetime) -> bool:
    """Whether one of the patient's care plans, activated (not a draft), had started by the patient's
    local date of `moment` (a PGIC needs one, clinical-reference §1 v2)."""
    day = moment.astimezone(ZoneInfo(patient.timezone)).date()
    return CarePlan.objects.filter(patient=patient, start_date__lte=day).exclude(
        status=CarePlan.Status.DRAFT).exists()


def psfs_first_activities(patient) -> list[str]:
    """The activity labels of the patient's first PSFS of the open plan, to be rated again at
    follow-up (clinical-reference §1, v2). The plan's PSFS start with its baseline window (§5, S − 14),
    so a baseline taken at the evaluation, before the plan was activated, counts."""
    plan = open_plans_of(patient).first()
    if plan is None or is_suspect(plan.start_date, "start_date"):  # a suspect start has no baseline window
        return []
    since = dt.datetime.combine(plan.start_date + dt.timedelta(days=REASSESSMENT_POINTS[0][3]), dt.time.min,
                                tzinfo=ZoneInfo(patient.timezone))
    first = (Assessment.objects.filter(patient=patient, instrument=Code.PSFS, superseded_at__isnull=True,
                                       collected_at__gte=since)
             .order_by("collected_at", "id").values_list("answers", flat=True).first())
    return [activity["label"].strip() for activity in first or []]


def reports_visible_to(user) -> QuerySet[OutcomeReport]:
    """A clinic's reports for its staff; every report (including all-clinic ones) for admins."""
    if user.is_superuser:
        return OutcomeReport.objects.all()
    return OutcomeReport.objects.filter(clinic_id=getattr(user, "clinic_id", None))


def reassessments(user, *, statuses=None, patient_id=None, today: dt.date | None = None) -> list[dict]:
    """Every reassessment point of the user's open plans, with its status in the patient's local
    today: done (any assessment in the window), upcoming, due (by the due day), overdue (past the
    due day, window still open) or missed (window closed). One query."""
    plans_sql, plans_params = care_plans_visible_to(user).values("id").query.sql_with_params()
    points = ", ".join(f"('{name}', {week}, {due}, {low}, {high})" for name, week, due, low, high in
                       REASSESSMENT_POINTS)
    sql = f"""
        WITH plans AS (
            SELECT cp.id, cp.patient_id, p.clinic_id, cp.start_date AS s, p.timezone AS tz, p.first_name, p.last_name,
                   COALESCE(%s::date, (now() AT TIME ZONE p.timezone)::date) AS today
            FROM careplans_careplan cp JOIN patients_patient p ON p.id = cp.patient_id
            WHERE cp.status IN ('active', 'paused') AND cp.id IN ({plans_sql})
              AND (%s::bigint IS NULL OR cp.patient_id = %s::bigint)
              AND cp.start_date BETWEEN %s AND %s  -- a suspect start has no schedule (core.bounds)
        ),
        points (name, week, due, low, high) AS (VALUES {points}),
        checked AS (
            SELECT pl.*, pt.name AS point, pt.week, pl.s + pt.due AS due_date, pl.s + pt.low AS window_start,
                   pl.s + pt.high AS window_end,
                   EXISTS (SELECT 1 FROM outcomes_assessment a
                           WHERE a.patient_id = pl.patient_id AND a.superseded_at IS NULL
                             AND a.collected_at >= (pl.s + pt.low)::timestamp AT TIME ZONE pl.tz
                             AND a.collected_at < (pl.s + pt.high + 1)::timestamp AT TIME ZONE pl.tz) AS done
            FROM plans pl CROSS JOIN points pt
        ),
        statuses AS (
            SELECT checked.*, CASE WHEN done THEN 'done' WHEN today < window_start THEN 'upcoming'
                                   WHEN today <= due_date THEN 'due' WHEN today <= window_end THEN 'overdue'
                                   ELSE 'missed' END AS status
            FROM checked
        )
        SELECT id, patient_id, clinic_id, first_name, last_name, point, week, due_date, window_start, window_end, status
        FROM statuses WHERE (%s::text[] IS NULL OR status = ANY(%s::text[]))
        ORDER BY due_date, id, week"""
    params = [today, *plans_params, patient_id, patient_id, *date_range(Kind.REPORT_DATE), statuses, statuses]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def nprs_at(plan: CarePlan, point: tuple) -> Assessment | None:
    """clinical-reference §5: the plan's NPRS (not superseded) whose local date lies in the time point's
    window and is nearest to its day; on a tie in days the earlier day; on the same day the last collected.
    `point`: (day, (window from, window to)) of TIME_POINTS."""
    day, (low, high) = point
    start = plan.start_date
    return (Assessment.objects.filter(patient_id=plan.patient_id, instrument=Code.NPRS, superseded_at__isnull=True)
            .annotate(local_day=TruncDate("collected_at", tzinfo=ZoneInfo(plan.patient.timezone)))
            .filter(local_day__range=(start + dt.timedelta(days=low), start + dt.timedelta(days=high)))
            .annotate(distance=Abs(DaysBetween(F("local_day"), Value(start + dt.timedelta(days=day)))))
            .order_by("distance", "local_day", "-collected_at", "-id").first())


def review_opened_for(plan: CarePlan) -> bool:
    """Whether the plan has had its week-4 review alert, open or acknowledged (one per plan)."""
    return Alert.objects.filter(kind=Alert.Kind.NO_IMPROVEMENT, patient_id=plan.patient_id,
                                source_id__in=Assessment.objects.filter(care_plan=plan).values("pk")).exists()


def followup_window_missed(assessment: Assessment) -> tuple[dt.date, dt.date] | None:
    """The week-12 window of the assessment's plan (clinical-reference §5) when the assessment's local date
    falls outside it; None when inside, or without a plan whose start has windows."""
    plan = assessment.care_plan
    if plan is None or is_suspect(plan.start_date, "start_date"):
        return None
    first, last = (plan.start_date + dt.timedelta(days=days) for days in POINTS[-1][1])
    day = assessment.collected_at.astimezone(ZoneInfo(assessment.patient.timezone)).date()
    return None if first <= day <= last else (first, last)
