import datetime as dt
import logging
import threading
import time
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from careplans.models import CarePlan
from careplans.schedule import TIME_POINTS
from careplans.selectors import open_plans_of
from core.bounds import is_suspect
from core.clock import local_today, refuse_future
from core.errors import DomainError, InvalidInput
from core.outbox import outbox_add
from core.resend import record_once, supersede
from core.version import code_version
from outcomes import report, windows
from outcomes.instruments import (
    Code,
    item_9_errors,
    psfs_stripped,
    raises_safety_alert,
    score_and_band,
)
from outcomes.models import Assessment, OutcomeReport
from outcomes.selectors import nprs_at, plan_started_by, review_opened_for
from patients.models import Alert
from patients.services import alert_open

# A running report beats (heartbeat_at) every HEARTBEAT_EVERY, through long queries too; one silent for
# REPORT_HEARTBEAT_STALE_SECONDS lost its worker. A pending one not started this long after its
# dispatch lost that dispatch (e.g. the broker lost its queue).
HEARTBEAT_EVERY = dt.timedelta(seconds=30)
LOST_DISPATCH = dt.timedelta(minutes=10)
logger = logging.getLogger("moverx.reports")

BASELINE, WEEK_4 = TIME_POINTS[:2]  # clinical-reference §5 (v2) time points, read by the week-4 review
REVIEW_IMPROVEMENT = 1  # §2 (v2): the week-4 NPRS at least 1 point better than baseline


def _validated(patient, instrument: str, answers, collected_at) -> tuple:
    refuse_future(collected_at, field="collected_at", message="An assessment cannot be collected in the future.")
    scored = score_and_band(instrument, answers)
    if instrument == Code.PGIC and not plan_started_by(patient, collected_at):
        # clinical-reference §1 (v2): a PGIC rates the change since care began; any day after the plan's
        # start is taken (the report reads only its week-12 window, §5)
        raise InvalidInput({"instrument": ["A PGIC rates the change since care began: record it once the patient's "
                                           "care plan has started."]})
    return scored


SAFETY_ACTION = "contact the patient today and follow the clinic's safety protocol."


def _without_nul(value):
    """The submitted answers as jsonb can hold them: it stores no NUL character."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def assessment_refused(*, patient, instrument: str, answers) -> None:
    """A submission refused before `assessment_record` saw it (an API field, a form field): a PHQ-9
    whose item 9 is a valid answer above 0 still raises the alert, with the submitted answers
    (clinical-reference §1, v2). Call it only for a refusal, once."""
    if raises_safety_alert(instrument, answers):
        alert_open(patient=patient, kind=Alert.Kind.SAFETY, severity=Alert.Severity.URGENT,
                   submitted_answers=_without_nul(answers),
                   message="PHQ-9 item 9 (thoughts of self-harm) was answered above 0 in a submission that was "
                           f"refused (its answers are kept with this alert): {SAFETY_ACTION}")


@contextmanager
def _alert_if_refused(patient, instrument: str, answers):
    """§1 (v2): a PHQ-9 refused for any reason (answers, a conflicting resend, a stale correction)
    still raises the alert when item 9 is above 0; the alert keeps the submitted answers. Item 9 itself
    is read before anything else: a 400 on item 9 when it is not answered."""
    if errors := item_9_errors(instrument, answers):
        raise InvalidInput(errors)
    try:
        yield
    except DomainError:
        assessment_refused(patient=patient, instrument=instrument, answers=answers)
        raise


def _create(*, actor, patient, instrument, answers, collected_at, source, **extra) -> Assessment:
    score, band = _validated(patient, instrument, answers, collected_at)
    assessment = Assessment.objects.create(
        patient=patient, care_plan=open_plans_of(patient).first(), instrument=instrument, answers=answers,
        score=score, band=band, collected_at=collected_at, source=source, recorded_by=actor, **extra)
    if raises_safety_alert(instrument, answers):
        alert_open(patient=patient, kind=Alert.Kind.SAFETY, severity=Alert.Severity.URGENT, source_id=assessment.pk,
                   message=f"PHQ-9 item 9 (thoughts of self-harm) was answered above 0: {SAFETY_ACTION}")
    return assessment


def _reviewed(assessment: Assessment) -> Assessment:
    """clinical-reference §2 (v2), the week-4 review (ACP/APS: reassess after about a month): an NPRS of
    an open plan in its baseline or week-4 window may complete the comparison; when week 4 is not at
    least 1 point better than baseline, one review alert per plan asks the PT to look again (not
    gating). Run once the new score is the one in force (after a correction has marked the old row
    superseded). An open review alert stays open when a later correction shows improvement: the PT
    closes it with a note, as every alert."""
    plan = assessment.care_plan
    if assessment.instrument != Code.NPRS or plan is None or is_suspect(plan.start_date, "start_date"):
        return assessment  # a suspect start (core.bounds) has no windows
    day = (assessment.collected_at.astimezone(ZoneInfo(assessment.patient.timezone)).date() - plan.start_date).days
    if not any(low <= day <= high for _, (low, high) in (BASELINE, WEEK_4)):
        return assessment
    with transaction.atomic():
        CarePlan.objects.select_for_update(no_key=True).filter(pk=plan.pk).first()  # one alert, even for two at once
        baseline, week_4 = nprs_at(plan, BASELINE), nprs_at(plan, WEEK_4)
        if baseline and week_4 and baseline.score - week_4.score < REVIEW_IMPROVEMENT and not review_opened_for(plan):
            scores = f"{float(week_4.score):g} against {float(baseline.score):g}"
            alert_open(
                patient=assessment.patient, kind=Alert.Kind.NO_IMPROVEMENT, severity=Alert.Severity.REVIEW,
                source_id=week_4.pk,
                message=f"No improvement at week 4: pain (NPRS) {scores} at baseline (at least "
                        f"{REVIEW_IMPROVEMENT} point better expected). Review the plan with the patient: the "
                        "working diagnosis, adherence and dosage, and whether to refer.")
    return assessment


def _as_stored(instrument: str, answers):
    """PSFS labels are stored without surrounding spaces (§1, v2), so a resend compares as stored."""
    return psfs_stripped(answers) if instrument == Code.PSFS else answers


def _same_submission(stored: Assessment, instrument: str, answers, collected_at) -> bool:
    return (stored.instrument, stored.answers, stored.collected_at) == (instrument, answers, collected_at)


def assessment_record(*, actor, patient, instrument, answers, collected_at, source,
                      external_id="") -> tuple[Assessment, bool]:
    """Record a completed instrument, scored on the server (clinical-reference §1). A repeat of
    the same `external_id` with the same content returns the stored assessment: (assessment, created);
    with other content it is a 409 naming the stored one (§1, resent submissions)."""
    answers = _as_stored(instrument, answers)
    with _alert_if_refused(patient, instrument, answers):
        return record_once(
            Assessment, patient=patient, external_id=external_id, label="assessment",
            same=lambda stored: _same_submission(stored, instrument, answers, collected_at),
            create=lambda: _reviewed(_create(actor=actor, patient=patient, instrument=instrument, answers=answers,
                                             collected_at=collected_at, source=source, external_id=external_id)))


def assessment_supersede(*, actor, assessment_id: int, reason: str, answers, collected_at, source) -> Assessment:
    """Correct an assessment: a new row supersedes the old one; nothing is edited or deleted."""
    target = Assessment.objects.select_related("patient").get(pk=assessment_id)
    answers = _as_stored(target.instrument, answers)
    with _alert_if_refused(target.patient, target.instrument, answers), transaction.atomic():
        return _reviewed(supersede(
            Assessment.objects.all(), row_id=assessment_id, reason=reason, label="assessment",
            create=lambda old: _create(actor=actor, patient=target.patient, instrument=old.instrument,
                                       answers=answers, collected_at=collected_at, source=source, supersedes=old,
                                       supersede_reason=reason)))


# --- Reports ------------------------------------------------------------------------------------


def report_request(*, actor, clinic, start_from, start_to, as_of=None, segment_by="") -> OutcomeReport:
    """Ask for a 12-week report; a Celery task computes it (202 + polling in the API). The dispatch
    is an outbox row of the same transaction: a broker outage delays the report, never loses it."""
    # the clinic's today; a report across every clinic (admins) takes the server's zone, UTC
    clinic_today = local_today(clinic.timezone if clinic else settings.TIME_ZONE)
    as_of = as_of or clinic_today
    if start_to < start_from:
        raise InvalidInput({"start_to": ["The range ends before it starts."]})
    if as_of > clinic_today:
        raise InvalidInput({"as_of": ["The report date cannot be in the future."]})
    if start_from > (latest := windows.latest_mature_start(as_of)):
        # no plan of the window can be mature: say so now, not with an empty report (clinical-reference §5)
        raise InvalidInput({"start_from": [
            f"No plan starting on or after {_day(start_from)} is mature by the report date {_day(as_of)} (a plan "
            f"counts {report.MATURE_AFTER_DAYS} days after its start): start on or before {_day(latest)}."]})
    with transaction.atomic():
        outcome_report = OutcomeReport.objects.create(
            clinic=clinic, start_from=start_from, start_to=start_to, as_of=as_of, segment_by=segment_by,
            requested_by=actor, code_version=code_version(), dispatched_at=timezone.now())
        _dispatch(outcome_report.pk)
    return outcome_report


def _day(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _dispatch(report_id: int) -> None:
    outbox_add(handler="outcomes.services.report_start", payload={"report_id": report_id},
               dedupe_key=f"report:{report_id}")


def report_start(*, report_id: int, idempotency_key: str = "") -> None:
    """Outbox handler: queue the computation on the broker (a worker of its own queue may take it).
    Sending it twice is harmless: only one run claims the report."""
    from outcomes.tasks import compute_outcome_report

    compute_outcome_report.delay(report_id)


def _claim(report_id: int) -> int | None:
    """pending → running for this worker. Returns the run's number, which fences its writes: a run
    declared lost and started again can no longer write."""
    now = timezone.now()
    with transaction.atomic():
        claimed = OutcomeReport.objects.select_for_update(no_key=True).filter(
            pk=report_id, status=OutcomeReport.Status.PENDING).first()
        if claimed is None:
            return None
        claimed.status, claimed.progress, claimed.attempts = OutcomeReport.Status.RUNNING, 0, claimed.attempts + 1
        claimed.started_at = claimed.heartbeat_at = now
        claimed.save(update_fields=["status", "progress", "attempts", "started_at", "heartbeat_at"])
    return claimed.attempts


@contextmanager
def _heartbeat(run):
    """Touch the run's heartbeat from a thread while it computes, even inside one long query."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(HEARTBEAT_EVERY.total_seconds()):
                run.update(heartbeat_at=Now())
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name="report-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def report_compute(report_id: int) -> None:
    """Compute and store the snapshot. Safe to run twice: only one run claims the report."""
    attempt = _claim(report_id)
    if attempt is None:
        return
    logger.info("report started", extra={"event": "report.started", "report_id": report_id, "attempt": attempt})
    began = time.monotonic()
    outcome_report = OutcomeReport.objects.get(pk=report_id)
    run = OutcomeReport.objects.filter(pk=report_id, status=OutcomeReport.Status.RUNNING, attempts=attempt)
    inputs = report.ReportInputs(start_from=outcome_report.start_from, start_to=outcome_report.start_to,
                                 as_of=outcome_report.as_of, clinic_id=outcome_report.clinic_id,
                                 segment_by=outcome_report.segment_by)
    try:
        with _heartbeat(run):
            results = report.compute(
                inputs, progress=lambda percent: run.update(progress=min(percent, 99)))
    except Exception as error:
        run.update(status=OutcomeReport.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now())
        _log_finished(logging.ERROR, report_id, OutcomeReport.Status.FAILED, began)
        raise
    run.update(status=OutcomeReport.Status.DONE, progress=100, results=results, finished_at=timezone.now(),
               code_version=code_version())
    _log_finished(logging.INFO, report_id, OutcomeReport.Status.DONE, began)


def _log_finished(level: int, report_id: int, status: str, began: float) -> None:
    logger.log(level, "report finished", extra={"event": "report.finished", "report_id": report_id,
                                                "status": str(status),
                                                "duration_ms": round((time.monotonic() - began) * 1000)})


def _silent_runs(now: dt.datetime):
    stale = now - dt.timedelta(seconds=settings.REPORT_HEARTBEAT_STALE_SECONDS)
    return OutcomeReport.objects.filter(status=OutcomeReport.Status.RUNNING, heartbeat_at__lt=stale)


def _lost_dispatches(now: dt.datetime):
    lost = now - LOST_DISPATCH
    return OutcomeReport.objects.filter(status=OutcomeReport.Status.PENDING, dispatched_at__lt=lost)


def _dispatch_again(stale_reports, report_id: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        if stale_reports.filter(pk=report_id).update(status=OutcomeReport.Status.PENDING, progress=0,
                                                     dispatched_at=now) != 1:
            return False  # it moved on meanwhile
        _dispatch(report_id)
    return True


def reports_settle_stale(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Beat, every minute: run again the reports whose worker went silent (killed) and send again
    those whose dispatch was lost, so that a report is recomputed within minutes; a report whose
    runs died REPORT_MAX_ATTEMPTS times fails with a clear error. Returns (sent again, failed)."""
    now = now or timezone.now()
    failed = _silent_runs(now).filter(attempts__gte=settings.REPORT_MAX_ATTEMPTS).update(
        status=OutcomeReport.Status.FAILED, finished_at=now,
        error=f"The computation stopped {settings.REPORT_MAX_ATTEMPTS} times (its worker was lost or it ran out "
              "of time). Request the report again; if it fails again, tell your administrator.")
    again = 0
    for stale_reports in (_silent_runs(now), _lost_dispatches(now)):
        for report_id in list(stale_reports.values_list("pk", flat=True)):
            again += _dispatch_again(stale_reports, report_id, now)
    return again, failed


def monthly_reports_create(*, today: dt.date | None = None) -> list[OutcomeReport]:
    """The scheduled monthly report of every clinic: plans started in the 12 months before the
    report date (the clinic's today unless given) that are mature by it."""
    from accounts.models import Clinic

    return [_monthly_report(clinic, today or local_today(clinic.timezone)) for clinic in Clinic.objects.all()]


def _monthly_report(clinic, today: dt.date) -> OutcomeReport:
    window = windows.report_presets(today)["last_12_months"]
    return report_request(actor=None, clinic=clinic, start_from=window["start_from"], start_to=window["start_to"],
                          as_of=today)
