"""What `make bench` measures (DESIGN.md, performance budgets).

The 12-week report's pain figures, computed by the report's own code, against one hand-written SQL
query written independently over the same tables (window functions instead of DISTINCT ON); both
must agree on every figure. Also the full report (all domains, segments, adherence, curves and the
mixed-model fits) once, with the fits' own share of it."""

import datetime as dt
import statistics
import time
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.clock import local_today
from demo.synthetic import CLINIC_TIMEZONE
from outcomes import report

HAND_WRITTEN_PAIN = """
WITH cohort AS (
    SELECT cp.id AS plan_id, cp.patient_id, cp.start_date AS s, p.timezone AS tz
    FROM careplans_careplan cp JOIN patients_patient p ON p.id = cp.patient_id
    WHERE cp.activated_at IS NOT NULL AND cp.start_date BETWEEN %(start_from)s AND %(start_to)s
      AND cp.start_date + 98 <= %(as_of)s
), dated AS (
    SELECT c.plan_id, a.id, a.score, a.collected_at, (a.collected_at AT TIME ZONE c.tz)::date - c.s AS day
    FROM cohort c JOIN outcomes_assessment a ON a.patient_id = c.patient_id
    WHERE a.instrument = 'nprs' AND a.superseded_at IS NULL
      AND a.collected_at >= (c.s - 14)::timestamp AT TIME ZONE c.tz
      AND a.collected_at < (c.s + 99)::timestamp AT TIME ZONE c.tz
), pointed AS (
    -- clinical-reference §5 (v2) time points: baseline [S-14, S], week 12 [S+70, S+98], picked nearest
    SELECT dated.*, CASE WHEN day BETWEEN -14 AND 0 THEN 0 WHEN day BETWEEN 70 AND 98 THEN 84 END AS point
    FROM dated
), ranked AS (
    SELECT plan_id, score, point,
           row_number() OVER (PARTITION BY plan_id, point
                              ORDER BY abs(day - point), day, collected_at DESC, id DESC) AS rank
    FROM pointed WHERE point IS NOT NULL
), paired AS (
    SELECT plan_id, max(score) FILTER (WHERE point = 0) AS baseline,
           max(score) FILTER (WHERE point = 84) AS followup
    FROM ranked WHERE rank = 1 GROUP BY plan_id
), included AS (  -- §5 (v2): the pain floor, baseline >= 4; §3: MCID 2 points or 30 percent;
                  -- responders at 30 and 50 percent
    SELECT baseline, followup, (baseline - followup) * 100 / baseline AS pct FROM paired WHERE baseline >= 4
)
SELECT count(*), count(followup), avg(baseline) FILTER (WHERE followup IS NOT NULL), avg(followup),
       avg(baseline - followup), avg(pct), percentile_cont(0.5) WITHIN GROUP (ORDER BY pct),
       count(*) FILTER (WHERE baseline - followup >= 2 OR pct >= 30), count(*) FILTER (WHERE pct >= 30),
       count(*) FILTER (WHERE pct >= 50)
FROM included
"""


def hand_written_pain(inputs: report.ReportInputs) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(HAND_WRITTEN_PAIN, {"start_from": inputs.start_from, "start_to": inputs.start_to,
                                           "as_of": inputs.as_of})
        (n_included, n_completers, mean_b, mean_f, mean_improvement, mean_pct, median, mcid, r30,
         r50) = cursor.fetchone()
    return {"n_included": n_included, "n_completers": n_completers, "mean_baseline": float(mean_b),
            "mean_followup": float(mean_f), "mean_improvement": float(mean_improvement),
            "mean_percent_improvement": float(mean_pct), "median_percent_improvement": float(median),
            "responders_mcid": mcid / n_completers, "responders_30": r30 / n_completers,
            "responders_50": r50 / n_completers}


def _timed(function, *args):
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = function(*args)
        elapsed = time.perf_counter() - started
    return result, elapsed, len(queries)


def bench_report(*, rounds: int = 3, today: dt.date | None = None) -> dict:
    today = today or local_today(CLINIC_TIMEZONE)  # the synthetic clinics' today, not the server's
    full_inputs = report.ReportInputs(start_from=today - dt.timedelta(days=500), start_to=today, as_of=today,
                                      segment_by="episode_type")
    pain_inputs = report.ReportInputs(start_from=full_inputs.start_from, start_to=today, as_of=today,
                                      domains=("pain",))
    ours, theirs = [], []
    for _ in range(rounds):  # alternate, so that caches favour neither
        figures, seconds, queries = _timed(report.domain_figures, pain_inputs)
        ours.append(seconds)
        hand, seconds, _ = _timed(hand_written_pain, pain_inputs)
        theirs.append(seconds)
    pain = figures["pain"]
    disagree = {name: (pain[name], value) for name, value in hand.items()
                if abs((pain[name] or 0) - value) > 1e-9 * max(1, abs(value))}
    if disagree:
        raise AssertionError(f"the report and the hand-written query disagree: {disagree}")
    with _fits_timed() as fits:
        snapshot, full_seconds, full_queries = _timed(report.compute, full_inputs)
    return {
        "plans_in_cohort": snapshot["n_plans"],
        "report_pain_seconds": statistics.median(ours),
        "hand_written_pain_seconds": statistics.median(theirs),
        "ratio": statistics.median(ours) / statistics.median(theirs),
        "report_pain_queries": queries,
        "full_report_seconds": full_seconds,
        "full_report_queries": full_queries,
        "model_fits": fits["count"],
        "model_fit_seconds": fits["seconds"],
    }


@contextmanager
def _fits_timed():
    """Count and time the report's mixed-model fits (clinical-reference §5) during the block."""
    fits = {"count": 0, "seconds": 0.0}
    fit = report.mixed_model.fit

    def timed_fit(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fit(*args, **kwargs)
        finally:
            fits["count"] += 1
            fits["seconds"] += time.perf_counter() - started

    report.mixed_model.fit = timed_fit
    try:
        yield fits
    finally:
        report.mixed_model.fit = fit


def bench_reminders(*, window_seconds: float = 20) -> dict:
    """Time one sweep over every synthetic patient (deciding in SQL and enqueueing ids to the real
    broker), then the delivery rate of a real Celery worker with the logging channel."""
    from coaching.models import ReminderDelivery
    from coaching.services import reminders

    ReminderDelivery.objects.all().delete()  # benchmark data only: start each run from nothing
    started = time.perf_counter()
    result = reminders.sweep()
    sweep_seconds = time.perf_counter() - started
    sent, seconds = _deliver_for(window_seconds)
    return {"patients_swept": _count_patients(), "reminders_created": result.created,
            "sweep_seconds": sweep_seconds, "delivered": sent, "delivery_seconds": seconds,
            "deliveries_per_second": sent / seconds if seconds else 0.0}


def _count_patients() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM patients_patient")
        return cursor.fetchone()[0]


def _deliver_for(window_seconds: float) -> tuple[int, float]:
    """Run a real worker (2 processes, logging channel) for a while; count what it delivered."""
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    from coaching.models import ReminderDelivery

    outbox = os.path.join(tempfile.mkdtemp(prefix="moverx-bench-"), "outbox.log")
    env = {**os.environ, "REMINDER_EMAIL_CHANNEL": "coaching.channels.LoggingChannel",
           "REMINDER_SMS_CHANNEL": "coaching.channels.LoggingChannel", "REMINDER_LOG_FILE": outbox,
           "LOG_LEVEL": "WARNING"}
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "2",
                               "--loglevel", "WARNING", "--without-mingle", "--without-gossip"], env=env,
                              start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not ReminderDelivery.objects.filter(status="sent").exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # the worker's start-up is not part of the rate
        first = time.perf_counter()
        already = ReminderDelivery.objects.filter(status="sent").count()
        pending = ReminderDelivery.objects.filter(status__in=["pending", "sending"])
        while time.perf_counter() - first < window_seconds and pending.exists():
            time.sleep(0.25)
        return ReminderDelivery.objects.filter(status="sent").count() - already, time.perf_counter() - first
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(30)
        shutil.rmtree(os.path.dirname(outbox), ignore_errors=True)
