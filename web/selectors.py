"""Reads that combine several apps for a page (README, Architecture: a combined read lives in the
selectors of the highest app it needs; the patient's record needs coaching and outcomes, so web)."""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Case, F, QuerySet, When

from accounts.roles import Cap, can
from careplans import services as plan_services
from careplans.models import CarePlan
from careplans.schedule import plan_week
from careplans.selectors import allowed_transitions, care_plan_list, coverage_summary
from coaching.selectors import habit_progress, loggable_days
from core.bounds import is_suspect
from core.clock import local_today
from exercises.models import Prescription, PrescriptionVersion
from exercises.selectors import (
    exercises_visible_to,
    patient_list,
    plan_adherence_sql,
    templates_visible_to,
    weekly_adherence,
)
from outcomes.selectors import psfs_first_activities, reassessments
from patients import clinical
from patients.models import Patient, RedFlagStatus, Symptom
from patients.selectors import SEVERITY_ORDER
from web import charts
from web.access import scoped

CAPABILITIES = {"prescribe": Cap.PRESCRIBE, "coach": Cap.COACH, "review": Cap.REVIEW_RED_FLAGS,
                "acknowledge": Cap.ACKNOWLEDGE_ALERT, "lead": Cap.LEAD_CARE_PLAN, "write": Cap.WRITE_PATIENT,
                "measure": Cap.RECORD_ASSESSMENT}


@dataclass(frozen=True)
class PatientRecord:
    """Everything the patient's page shows, and which of its actions it offers the user."""

    patient: Patient
    today: dt.date  # the patient's
    age: int
    age_risk_factor: bool
    episode_type: str
    red_flag_categories: list
    symptoms: list[str]
    red_flags: list[str]
    plan: CarePlan | None
    week: int | None
    coverage: dict | None
    may_lead: bool
    may_change_plan: bool  # the lead PT, and the plan not discharged
    plan_steps: list[str]  # the lifecycle steps offered: exactly those the service allows
    may_open_plan: bool
    may_screen: bool
    may_review: bool
    prescriptions: list[Prescription]  # each with `may_change`
    timeline: list[dict]
    open_alerts: list
    weeks: list
    plan_adherence: float | None
    assessment_table: list
    score_charts: list
    adherence_chart: dict | None
    reassessments: list[dict]
    check_ins: list
    notes: list
    goals: list[dict]
    reminders: list
    exercises: QuerySet
    templates: QuerySet
    psfs_activities: list[str]
    can: dict[str, bool]


def patient_record(user, patient_id: int) -> PatientRecord:
    """The patient's record as `user` may see it (a 404 outside their scope); a bounded number of
    queries however long the history."""
    patient = scoped(patient_list(user), pk=patient_id)
    plan = _plan(user, patient)
    prescriptions = versions = weeks = []
    if plan is not None:
        prescriptions = list(plan.prescriptions.select_related("exercise__progression", "exercise__regression")
                             .order_by("status", "id"))
        versions = list(PrescriptionVersion.objects.filter(prescription__care_plan=plan)
                        .select_related("exercise", "changed_by"))
        weeks = weekly_adherence([plan.pk])
    assessments = list(patient.assessments.filter(superseded_at__isnull=True).select_related("recorded_by")
                       .order_by("collected_at"))
    check_ins = list(patient.check_ins.select_related("coach").order_by("-occurred_at")[:50])
    alerts = list(patient.alerts.all())
    goals = list(patient.habit_goals.prefetch_related("logs").order_by("-start_date"))
    today = local_today(patient.timezone)
    may = {name: can(user, cap) for name, cap in CAPABILITIES.items()}
    may_lead = plan is not None and plan_services.may_lead(user, plan)
    may_change_plan = may_lead and plan.status != CarePlan.Status.DISCHARGED
    for prescription in prescriptions:
        prescription.may_change = may_change_plan and prescription.status == Prescription.Status.ACTIVE
    age = clinical.age(patient.date_of_birth, today)
    return PatientRecord(
        patient=patient, today=today, age=age, age_risk_factor=clinical.age_is_risk_factor(age),
        episode_type=clinical.episode_type(patient.pain_onset_date, patient.active_care_plan_start or today),
        red_flag_categories=clinical.red_flag_categories(patient.red_flags),
        symptoms=[Symptom(code).label for code in patient.symptoms],
        red_flags=[clinical.RedFlag(code).label for code in patient.red_flags],
        plan=plan,
        week=plan_week(plan.start_date, today) if plan else None,
        coverage=coverage_summary(plan, plan.visits_used) if plan else None,
        may_lead=may_lead, may_change_plan=may_change_plan,
        plan_steps=allowed_transitions(plan) if may_lead else [],
        may_open_plan=may["lead"] and not patient.active_care_plan_id,
        may_screen=may["review"] and patient.red_flag_status == RedFlagStatus.NOT_SCREENED,
        may_review=may["review"] and patient.red_flag_status == RedFlagStatus.POSITIVE,
        prescriptions=prescriptions,
        timeline=_timeline(plan, versions, assessments, check_ins, alerts),
        open_alerts=sorted((alert for alert in alerts if alert.is_open),
                           key=lambda alert: SEVERITY_ORDER.index(alert.severity)),
        weeks=weeks,
        plan_adherence=plan.adherence if plan else None,
        assessment_table=_local_dates(list(reversed(assessments))[:40], patient.timezone),
        score_charts=charts.scores(charts.score_series(
            assessments, zone=patient.timezone, plan_start=plan.start_date if plan else None,
            targets=charts.goal_targets([goal.target for goal in plan.goals.all()] if plan else []))),
        adherence_chart=charts.weekly_adherence(weeks),
        reassessments=reassessments(user, patient_id=patient.pk),
        check_ins=check_ins[:10],
        notes=list(patient.coaching_notes.select_related("author")[:10]),
        goals=[{"goal": goal, "progress": habit_progress(goal, today=today), "days": loggable_days(goal, today),
                "may_log": may["coach"] and goal.status == goal.Status.ACTIVE} for goal in goals],
        reminders=list(patient.reminders.order_by("-slot")[:14]),
        exercises=exercises_visible_to(user).order_by("name").only("id", "name", "category"),
        templates=templates_visible_to(user).only("id", "name"),
        psfs_activities=psfs_first_activities(patient),
        can=may,
    )


def _plan(user, patient):
    """The open plan, else the latest one, with everything the page shows of it (or None)."""
    open_first = Case(When(status__in=CarePlan.OPEN_STATUSES, then=0), default=1)
    return (care_plan_list(user).filter(patient=patient)
            .prefetch_related("status_changes__changed_by", "visits__recorded_by", "goals")
            .annotate(adherence=plan_adherence_sql(F("pk")))
            .order_by(open_first, "-start_date", "-id").first())


def _timeline(plan, versions, assessments, check_ins, alerts) -> list[dict]:
    """Every change to the care, newest first: who, when, what, why."""
    events = []
    for version in versions:
        what = (f"Prescribed {version.exercise.name}" if version.version == 1 else
                f"{version.get_reason_display()}: {version.exercise.name}, v{version.version}"
                + (" (discontinued)" if version.status == Prescription.Status.DISCONTINUED else ""))
        events.append({"when": version.changed_at, "who": version.changed_by, "what": what, "why": version.note,
                       "kind": "prescription"})
    if plan is not None:
        for change in plan.status_changes.all():
            events.append({"when": change.changed_at, "who": change.changed_by,
                           "what": f"Plan {change.from_status} → {change.to_status}", "why": change.note,
                           "kind": "plan"})
        for visit in plan.visits.all():
            events.append({"when": visit.occurred_at, "who": visit.recorded_by,
                           "what": f"{visit.get_kind_display()} visit ({visit.get_mode_display()})",
                           "why": visit.notes, "kind": "visit"})
    for assessment in assessments:
        events.append({"when": assessment.collected_at, "who": assessment.recorded_by,
                       "what": f"{assessment.get_instrument_display()}: {assessment.score:g}"
                               + (f" ({assessment.band.replace('_', ' ')})" if assessment.band else ""),
                       "why": assessment.supersede_reason, "kind": "measure"})
    for check_in in check_ins:
        events.append({"when": check_in.occurred_at, "who": check_in.coach,
                       "what": f"{check_in.get_channel_display()} check-in, mood {check_in.mood}/5, "
                               f"confidence {check_in.confidence}/10", "why": check_in.agreed, "kind": "coaching"})
    for alert in alerts:
        events.append({"when": alert.opened_at, "who": None, "what": f"{alert.get_kind_display()} alert opened",
                       "why": alert.message, "kind": "alert"})
    return sorted(events, key=lambda event: event["when"], reverse=True)


def _local_dates(assessments, zone: str) -> list:
    """Each assessment with its date where the patient is: the day the charts and reassessment
    windows count (clinical-reference §5)."""
    where = ZoneInfo(zone)
    for assessment in assessments:  # a suspect time has no local day: shown as stored, marked
        moment = assessment.collected_at
        assessment.local_date = moment if is_suspect(moment) else moment.astimezone(where).date()
    return assessments
