"""The demo and the synthetic load seed at every hour of the server's day, in every zone they use:
nothing is stamped after now, and no date runs ahead of the patient's own today (issue 10, §1)."""

import datetime as dt
import statistics
from zoneinfo import ZoneInfo

import pytest
import time_machine

from careplans.models import CarePlan
from coaching.models import CheckIn, HabitLog
from core.clock import local_today
from demo import builder
from demo.builder import DEMO_CLINIC, seed_demo
from demo.synthetic import seed_synthetic
from exercises.models import ExerciseSession, Prescription, PrescriptionVersion
from outcomes.models import Assessment
from patients.models import Patient

# Across one UTC day: the early hours are when the US zones are still on yesterday. 8 March 2026 is
# the day US clocks spring forward; 1 November 2026 the day they fall back.
INSTANTS = [dt.datetime(2026, 3, 9, hour, minute, tzinfo=dt.UTC)
            for hour, minute in [(0, 0), (0, 30), (3, 59), (5, 30), (7, 59), (12, 0), (23, 59)]]
INSTANTS += [dt.datetime(2026, 3, 8, 6, 30, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, 4, 30, tzinfo=dt.UTC)]


def assert_nothing_after(now: dt.datetime, patients) -> None:
    """Every fact is in the past, and every date is on or before the patient's local today."""
    assert not ExerciseSession.objects.filter(patient__in=patients, performed_at__gt=now).exists()
    assert not Assessment.objects.filter(patient__in=patients, collected_at__gt=now).exists()
    assert not CheckIn.objects.filter(patient__in=patients, occurred_at__gt=now).exists()
    assert not CarePlan.objects.filter(patient__in=patients, activated_at__gt=now).exists()
    assert not CarePlan.objects.filter(patient__in=patients, discharged_at__gt=now).exists()
    assert not PrescriptionVersion.objects.filter(prescription__care_plan__patient__in=patients,
                                                  changed_at__gt=now).exists()
    for patient in patients:
        today = local_today(patient.timezone, now)
        assert not CarePlan.objects.filter(patient=patient, start_date__gt=today).exists()
        assert not Prescription.objects.filter(care_plan__patient=patient, start_date__gt=today).exists()
        assert not HabitLog.objects.filter(goal__patient=patient, done_on__gt=today).exists()
        assert patient.date_of_birth < today and patient.pain_onset_date <= today


def assert_histories_in_every_zone(patients, zones) -> None:
    """Not vacuous: patients in every zone have sessions and assessments."""
    for zone in zones:
        in_zone = [p for p in patients if p.timezone == zone]
        assert ExerciseSession.objects.filter(patient__in=in_zone).exists(), zone
        assert Assessment.objects.filter(patient__in=in_zone).exists(), zone


@pytest.mark.django_db
@pytest.mark.parametrize("now", INSTANTS, ids=lambda moment: moment.strftime("%Y-%m-%dT%H:%MZ"))
def test_seed_demo_at_any_hour(now):
    with time_machine.travel(now, tick=False):
        assert seed_demo(patients=40) is not None
    patients = list(Patient.objects.filter(clinic__name=DEMO_CLINIC))
    assert len(patients) == 40
    assert_nothing_after(now, patients)
    assert_histories_in_every_zone(patients, builder.TIMEZONES)


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing():
    now = INSTANTS[2]
    with time_machine.travel(now, tick=False):
        seed_demo(patients=5)
        counts = (Patient.objects.count(), ExerciseSession.objects.count(), Assessment.objects.count())
    with time_machine.travel(now + dt.timedelta(hours=2), tick=False):
        assert seed_demo(patients=5) is None
    assert (Patient.objects.count(), ExerciseSession.objects.count(), Assessment.objects.count()) == counts


@pytest.mark.django_db
@pytest.mark.parametrize("now", INSTANTS, ids=lambda moment: moment.strftime("%Y-%m-%dT%H:%MZ"))
def test_seed_synthetic_at_any_hour(now):
    with time_machine.travel(now, tick=False):
        seed_synthetic(patients=2000)
    patients = list(Patient.objects.filter(clinic__name__startswith="Synthetic Clinic"))
    assert len(patients) == 2000
    assert_nothing_after(now, patients)
    assert_histories_in_every_zone(patients, {p.timezone for p in patients})
    assert not Patient.objects.filter(pk__in=[p.pk for p in patients], created_at__gt=now).exists()


@pytest.mark.django_db
def test_the_bench_report_runs_on_data_seeded_in_the_early_utc_hours():
    """`make bench` between 00:00 and 04:00 UTC: the report's day is the synthetic clinics' own, and
    the report and the hand-written query agree on the data (bench_report raises if not)."""
    from demo.bench import bench_report

    with time_machine.travel(INSTANTS[1], tick=False):
        seed_synthetic(patients=1000)
        results = bench_report(rounds=1)
    assert results["plans_in_cohort"] > 0


def _scores_at(code: str, week: int) -> dict[int, float]:
    """Plan id → the demo's score of `code` at baseline (week 0, window [S - 14, S]) or week 12
    ([S + 70, S + 98], clinical-reference §5), in the patient's local dates."""
    low, high = (-14, 0) if week == 0 else (70, 98)
    scores = {}
    for assessment in Assessment.objects.filter(instrument=code).select_related("patient", "care_plan"):
        plan = assessment.care_plan
        day = assessment.collected_at.astimezone(ZoneInfo(assessment.patient.timezone)).date()
        if plan is not None and low <= (day - plan.start_date).days <= high:
            scores[plan.pk] = float(assessment.score)
    return scores


@pytest.mark.django_db
def test_the_demo_looks_like_an_outpatient_back_pain_clinic():
    """Baselines as outpatient low back pain (issue 11): ODI about 30-45 on average, NPRS about 5-7,
    PHQ-9 mostly below moderate; over 12 weeks some improve, some do not, some get worse, and some
    rate activities (PSFS) and their change (PGIC) at week 12."""
    with time_machine.travel(INSTANTS[5], tick=False):
        seed_demo(patients=80)
    odi, nprs, phq9 = (_scores_at(code, 0) for code in ("odi", "nprs", "phq9"))
    assert len(odi) >= 30
    assert 30 <= statistics.mean(odi.values()) <= 45
    assert 5 <= statistics.mean(nprs.values()) <= 7
    assert sum(score < 10 for score in phq9.values()) >= 0.6 * len(phq9)
    pain_at_12 = _scores_at("nprs", 12)
    changes = [nprs[plan] - pain_at_12[plan] for plan in pain_at_12 if plan in nprs]
    assert any(change >= 2 for change in changes) and any(change <= 0 for change in changes)
    assert len(pain_at_12) < len(nprs)  # some missed their follow-up
    assert _scores_at("psfs", 12) and _scores_at("pgic", 12)
