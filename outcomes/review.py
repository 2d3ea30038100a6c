"""The week-4 review (clinical-reference §2, v2; ACP/APS, Chou et al. 2007: reassess after about a
month): when the week-4 NPRS is not at least 1 point better than the baseline NPRS, a review alert
asks the PT to look at the plan again. It does not gate anything."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Abs, TruncDate

from careplans.models import CarePlan
from core.bounds import is_suspect
from outcomes.instruments import Code
from outcomes.models import Assessment
from outcomes.report import POINTS
from patients.clinical import DaysBetween
from patients.models import Alert
from patients.services import alert_open

# clinical-reference §5 (v2), the report's time points: (target day, window from, window to) in days
# from the plan's start S, in the patient's local dates
BASELINE, WEEK_4 = ((day, low, high) for day, (low, high) in POINTS[:2])
IMPROVEMENT_NEEDED = 1  # §2 (v2): at least 1 point better than baseline


def _local_day(moment: dt.datetime, tz: str) -> dt.date:
    return moment.astimezone(ZoneInfo(tz)).date()


def _in_window(day: int, point: tuple) -> bool:
    return point[1] <= day <= point[2]


def _nprs_at(plan: CarePlan, point: tuple) -> Assessment | None:
    """§5: the NPRS (not superseded) whose local date lies in the point's window and is nearest to its
    day; on a tie in days the earlier day; on the same day the last collected."""
    day, low, high = point
    local_day = TruncDate("collected_at", tzinfo=ZoneInfo(plan.patient.timezone))
    start = plan.start_date
    return (Assessment.objects.filter(patient_id=plan.patient_id, instrument=Code.NPRS, superseded_at__isnull=True)
            .annotate(local_day=local_day)
            .filter(local_day__range=(start + dt.timedelta(days=low), start + dt.timedelta(days=high)))
            .annotate(distance=Abs(DaysBetween(F("local_day"), Value(start + dt.timedelta(days=day)))))
            .order_by("distance", "local_day", "-collected_at", "-id").first())


def _already_opened(plan: CarePlan) -> bool:
    """At most one review alert per plan, open or acknowledged: a correction does not raise another."""
    return Alert.objects.filter(kind=Alert.Kind.NO_IMPROVEMENT, patient_id=plan.patient_id,
                                source_id__in=Assessment.objects.filter(care_plan=plan).values("pk")).exists()


def review_if_no_improvement(assessment: Assessment) -> Alert | None:
    """Called for each assessment recorded (a correction too, which is a new row): an NPRS of an open
    plan in its baseline or week-4 window may complete the comparison. An open review alert stays open
    when a later correction shows improvement: the PT closes it with a note, as every alert."""
    plan = assessment.care_plan
    if assessment.instrument != Code.NPRS or plan is None or is_suspect(plan.start_date, "start_date"):
        return None  # a suspect start (core.bounds) has no windows
    day = (_local_day(assessment.collected_at, assessment.patient.timezone) - plan.start_date).days
    if not (_in_window(day, BASELINE) or _in_window(day, WEEK_4)):
        return None
    with transaction.atomic():
        CarePlan.objects.select_for_update(no_key=True).filter(pk=plan.pk).first()  # one alert, even for two at once
        baseline, week_4 = _nprs_at(plan, BASELINE), _nprs_at(plan, WEEK_4)
        if baseline is None or week_4 is None or baseline.score - week_4.score >= IMPROVEMENT_NEEDED:
            return None
        if _already_opened(plan):
            return None
        scores = f"{float(week_4.score):g} against {float(baseline.score):g}"
        return alert_open(
            patient=assessment.patient, kind=Alert.Kind.NO_IMPROVEMENT, severity=Alert.Severity.REVIEW,
            source_id=week_4.pk,
            message=f"No improvement at week 4: pain (NPRS) {scores} at baseline "
                    f"(at least {IMPROVEMENT_NEEDED} point better expected). Review the plan with the patient: "
                    "the working diagnosis, adherence and dosage, and whether to refer.")
