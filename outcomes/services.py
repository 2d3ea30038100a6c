import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from careplans.selectors import open_plans_of
from core.clock import refuse_future
from core.errors import Conflict, InvalidInput
from core.version import code_version
from outcomes import report
from outcomes.instruments import raises_safety_alert, score_and_band
from outcomes.models import Assessment, OutcomeReport
from patients.models import Alert
from patients.services import alert_open

# A run can last no longer than Celery's hard time limit: a "running" report older than that
# lost its worker (killed, or stopped by the limit). A "pending" one this old lost its dispatch.
STALE_RUN = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
LOST_DISPATCH = dt.timedelta(minutes=10)


def _validated(instrument: str, answers, collected_at) -> tuple:
    refuse_future(collected_at, field="collected_at", message="An assessment cannot be collected in the future.")
    return score_and_band(instrument, answers)


def _create(*, actor, patient, instrument, answers, collected_at, source, **extra) -> Assessment:
    score, band = _validated(instrument, answers, collected_at)
    assessment = Assessment.objects.create(
        patient=patient, care_plan=open_plans_of(patient).first(), instrument=instrument, answers=answers,
        score=score, band=band, collected_at=collected_at, source=source, recorded_by=actor, **extra)
    if raises_safety_alert(instrument, answers):
        alert_open(patient=patient, kind=Alert.Kind.SAFETY, severity=Alert.Severity.URGENT, source_id=assessment.pk,
                   message="PHQ-9 item 9 (thoughts of self-harm) was answered above 0: contact the patient today "
                           "and follow the clinic's safety protocol.")
    return assessment


def assessment_record(*, actor, patient, instrument, answers, collected_at, source,
                      external_id="") -> tuple[Assessment, bool]:
    """Record a completed instrument, scored on the server (clinical-reference §1). A repeat of
    the same `external_id` returns the stored assessment: (assessment, created)."""
    if external_id:
        existing = Assessment.objects.filter(patient=patient, external_id=external_id).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            return _create(actor=actor, patient=patient, instrument=instrument, answers=answers,
                           collected_at=collected_at, source=source, external_id=external_id), True
    except IntegrityError:
        if not external_id:
            raise
        return Assessment.objects.get(patient=patient, external_id=external_id), False


@transaction.atomic
def assessment_supersede(*, actor, assessment_id: int, reason: str, answers, collected_at, source) -> Assessment:
    """Correct an assessment: a new row supersedes the old one; nothing is edited or deleted."""
    old = Assessment.objects.select_for_update(no_key=True).select_related("patient").get(pk=assessment_id)
    if old.superseded_at is not None:
        raise Conflict("This assessment was already corrected; correct the newer one.")
    if not reason.strip():
        raise InvalidInput({"reason": ["Say why the assessment is corrected."]})
    new = _create(actor=actor, patient=old.patient, instrument=old.instrument, answers=answers,
                  collected_at=collected_at, source=source, supersedes=old, supersede_reason=reason)
    old.superseded_at = timezone.now()
    old.save(update_fields=["superseded_at"])
    return new


# --- Reports ------------------------------------------------------------------------------------


def report_request(*, actor, clinic, start_from, start_to, as_of=None, segment_by="") -> OutcomeReport:
    """Ask for a 12-week report; a Celery task computes it (202 + polling in the API)."""
    as_of = as_of or timezone.localdate()
    if start_to < start_from:
        raise InvalidInput({"start_to": ["The range ends before it starts."]})
    if as_of > timezone.localdate() + dt.timedelta(days=1):
        raise InvalidInput({"as_of": ["The report date cannot be in the future."]})
    from outcomes.tasks import compute_outcome_report

    with transaction.atomic():
        outcome_report = OutcomeReport.objects.create(
            clinic=clinic, start_from=start_from, start_to=start_to, as_of=as_of, segment_by=segment_by,
            requested_by=actor, code_version=code_version())
        transaction.on_commit(lambda: compute_outcome_report.delay(outcome_report.pk))
    return outcome_report


def _claim(report_id: int) -> bool:
    """Take the report for this worker: pending, or running on a worker that died long ago."""
    now = timezone.now()
    claimable = OutcomeReport.objects.filter(pk=report_id).filter(
        Q(status=OutcomeReport.Status.PENDING)
        | Q(status=OutcomeReport.Status.RUNNING, started_at__lt=now - STALE_RUN))
    return claimable.update(status=OutcomeReport.Status.RUNNING, progress=0, started_at=now) == 1


def report_compute(report_id: int) -> None:
    """Compute and store the snapshot. Safe to run twice: only one run claims the report."""
    if not _claim(report_id):
        return
    outcome_report = OutcomeReport.objects.get(pk=report_id)
    running = OutcomeReport.objects.filter(pk=report_id, status=OutcomeReport.Status.RUNNING)
    inputs = report.ReportInputs(start_from=outcome_report.start_from, start_to=outcome_report.start_to,
                                 as_of=outcome_report.as_of, clinic_id=outcome_report.clinic_id,
                                 segment_by=outcome_report.segment_by)
    try:
        results = report.compute(inputs, progress=lambda percent: running.update(progress=min(percent, 99)))
    except Exception as error:
        running.update(status=OutcomeReport.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now())
        raise
    running.update(status=OutcomeReport.Status.DONE, progress=100, results=results, finished_at=timezone.now(),
                   code_version=code_version())


def reports_settle_stale(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Beat, every 10 minutes: send again the reports whose dispatch was lost (still pending), and
    close those whose run died (still running past the time limit) as failed, so that nobody
    watches a progress bar forever. Returns (sent again, failed)."""
    from outcomes.tasks import compute_outcome_report

    now = now or timezone.now()
    lost = list(OutcomeReport.objects.filter(status=OutcomeReport.Status.PENDING,
                                             requested_at__lt=now - LOST_DISPATCH).values_list("pk", flat=True))
    for report_id in lost:
        compute_outcome_report.delay(report_id)
    died = OutcomeReport.objects.filter(status=OutcomeReport.Status.RUNNING, started_at__lt=now - STALE_RUN).update(
        status=OutcomeReport.Status.FAILED, finished_at=now,
        error="The computation stopped (its worker was lost or it ran out of time). Request the report again.")
    return len(lost), died


def monthly_reports_create(*, today: dt.date | None = None) -> list[OutcomeReport]:
    """The scheduled monthly report of every clinic: plans started in the 12 months before the
    report date that are mature by it."""
    from accounts.models import Clinic

    today = today or timezone.localdate()
    return [
        report_request(actor=None, clinic=clinic, start_from=today - dt.timedelta(days=365),
                       start_to=today - dt.timedelta(days=report.MATURE_AFTER_DAYS), as_of=today)
        for clinic in Clinic.objects.all()
    ]
