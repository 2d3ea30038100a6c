import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exercises.models import Exercise, ExerciseSession, Prescription, PrescriptionVersion
from exercises.selectors import plan_adherence, plans_adherence, weekly_adherence
from tests.exercises import reference
from tests.factories import CarePlanFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 2)  # a Monday; US daylight saving starts 2026-03-08, inside week 1
TZ = "America/Chicago"


def at(day_offset: int, hour: int = 12, minute: int = 0, tz: str = TZ) -> dt.datetime:
    day = START + dt.timedelta(days=day_offset)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(tz))


@pytest.fixture
def plan(clinic):
    pt = UserFactory(clinic=clinic)
    return CarePlanFactory(patient=PatientFactory(clinic=clinic, timezone=TZ), lead_pt=pt, start_date=START,
                           status="active")


def prescribe(plan, *versions):
    """versions: (valid_from, status, times_per_week), version numbers in order."""
    exercise = Exercise.objects.filter(clinic__isnull=True).first()
    last = versions[-1]
    prescription = Prescription.objects.create(care_plan=plan, exercise=exercise, sets=2, reps=10,
                                               times_per_week=last[2], status=last[1], start_date=START,
                                               version=len(versions), created_by=plan.lead_pt)
    for number, (valid_from, status, times) in enumerate(versions, start=1):
        PrescriptionVersion.objects.create(
            prescription=prescription, version=number, exercise=exercise, sets=2, reps=10, times_per_week=times,
            status=status, valid_from=valid_from, reason="prescribed" if number == 1 else "dosage",
            changed_by=plan.lead_pt, changed_at=valid_from)
    return prescription


def session(plan, performed_at, superseded=False):
    return ExerciseSession.objects.create(
        patient=plan.patient, care_plan=plan, performed_at=performed_at, source="staff", recorded_by=plan.lead_pt,
        superseded_at=dt.datetime.now(dt.UTC) if superseded else None)


def weeks_of(plan, as_of):
    return {w.week: (w.target, w.done, w.adherence, w.ended) for w in weekly_adherence([plan.pk], as_of)}


def test_weeks_with_and_without_targets(plan):
    # Prescribed from week 3 (3x/week), discontinued at the start of week 5.
    prescribe(plan, (reference.local_midnight(START + dt.timedelta(days=14), TZ), "active", 3),
              (reference.local_midnight(START + dt.timedelta(days=28), TZ), "discontinued", 3))
    for day in (15, 16, 22):
        session(plan, at(day))
    weeks = weeks_of(plan, as_of=START + dt.timedelta(days=42))
    assert weeks[1] == (None, 0, None, True) and weeks[2][0] is None
    assert weeks[3] == (3, 2, pytest.approx(2 / 3), True)
    assert weeks[4] == (3, 1, pytest.approx(1 / 3), True)
    assert weeks[5][0] is None
    assert plan_adherence(plan.pk, START + dt.timedelta(days=42)) == pytest.approx(0.5)


def test_more_sessions_than_target_count_as_full(plan):
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 2))
    for day in (0, 1, 2, 3, 4):
        session(plan, at(day))
    assert weeks_of(plan, START + dt.timedelta(days=7))[1] == (2, 5, 1.0, True)


def test_change_mid_week_takes_the_largest_target(plan):
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 2), (at(10), "active", 5))
    assert weeks_of(plan, START + dt.timedelta(days=21))[1][0] == 2
    assert weeks_of(plan, START + dt.timedelta(days=21))[2][0] == 5  # 2 until Thursday, 5 after: largest
    assert weeks_of(plan, START + dt.timedelta(days=21))[3][0] == 5


def test_a_version_replaced_before_it_took_effect_sets_no_target(plan):
    """Prescribed 5x/week to start on day 10, lowered to 2x before then: the 5 was never in effect."""
    starts = at(10)
    prescribe(plan, (starts, "active", 5), (starts, "active", 2))
    assert weeks_of(plan, START + dt.timedelta(days=21))[2][0] == 2
    versions = [(1, 1, starts, "active", 5), (1, 2, starts, "active", 2)]
    assert reference.weekly_adherence(start=START, tz=TZ, versions=versions, sessions=[],
                                      as_of=START + dt.timedelta(days=21))[2][0] == 2


def test_local_time_decides_the_week(plan):
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 3))
    session(plan, at(6, 23, 30))  # Sunday 23:30 in Chicago: still week 1 (05:30 UTC Monday)
    session(plan, at(7, 0, 10))  # Monday 00:10: week 2
    weeks = weeks_of(plan, START + dt.timedelta(days=14))
    assert (weeks[1][1], weeks[2][1]) == (1, 1)


def test_superseded_sessions_do_not_count(plan):
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 3))
    session(plan, at(1), superseded=True)
    session(plan, at(2))
    assert weeks_of(plan, START + dt.timedelta(days=7))[1][1] == 1


def test_only_ended_weeks_count_toward_the_plan_figure(plan):
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 1))
    session(plan, at(0))
    weeks = weeks_of(plan, START + dt.timedelta(days=10))
    assert weeks[1][3] is True and weeks[2] == (1, 0, 0.0, False)
    assert plan_adherence(plan.pk, START + dt.timedelta(days=10)) == 1.0


def test_discharge_ends_the_targets(plan):
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 3))
    plan.discharged_at = reference.local_midnight(START + dt.timedelta(days=14), TZ)
    plan.save()
    weeks = weeks_of(plan, START + dt.timedelta(days=30))
    assert weeks[2][0] == 3 and weeks[3][0] is None


VERSION = st.tuples(st.integers(0, 90), st.integers(0, 23), st.sampled_from(["active", "discontinued"]),
                    st.integers(1, 7))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    plans=st.lists(st.tuples(
        st.sampled_from(["America/Chicago", "Europe/London", "Asia/Tokyo", "Pacific/Auckland"]),
        st.lists(st.lists(VERSION, min_size=1, max_size=4), max_size=3),
        st.lists(st.tuples(st.integers(-3, 90), st.integers(0, 23), st.integers(0, 59), st.booleans()),
                 max_size=25),
        st.one_of(st.none(), st.integers(20, 80)),
    ), min_size=1, max_size=4),
    as_of_offset=st.integers(0, 100),
)
def test_sql_matches_the_reference_and_many_plans_match_one(clinic, plans, as_of_offset):
    pt = UserFactory(clinic=clinic)
    as_of = START + dt.timedelta(days=as_of_offset)
    expected, ids = {}, []
    for tz, prescriptions, sessions, discharged_day in plans:
        plan = CarePlanFactory(patient=PatientFactory(clinic=clinic, timezone=tz), lead_pt=pt, start_date=START,
                               status="discharged" if discharged_day else "active",
                               discharged_at=at(discharged_day, tz=tz) if discharged_day else None)
        all_versions = []
        for history in prescriptions:
            versions = sorted(((at(day, hour, tz=tz), status, times) for day, hour, status, times in history),
                              key=lambda v: v[0])
            prescription = prescribe(plan, *versions)
            all_versions += [(prescription.pk, n, *v) for n, v in enumerate(versions, start=1)]
        session_rows = []
        for day, hour, minute, superseded in sessions:
            performed = at(day, hour, minute, tz=tz)
            session(plan, performed, superseded)
            session_rows.append((performed, superseded))
        expected[plan.pk] = reference.weekly_adherence(start=START, tz=tz, versions=all_versions,
                                                       sessions=session_rows, as_of=as_of,
                                                       discharged_at=plan.discharged_at)
        ids.append(plan.pk)
    many = plans_adherence(ids, as_of)
    rows = weekly_adherence(ids, as_of)
    for plan_id in ids:
        got = {w.week: (w.target, w.done, w.adherence, w.ended) for w in rows if w.plan_id == plan_id}
        assert got.keys() == expected[plan_id].keys()
        for week, (target, done, adherence, ended) in expected[plan_id].items():
            assert got[week][:2] == (target, done) and got[week][3] == ended
            assert got[week][2] == pytest.approx(adherence)
        assert many[plan_id] == pytest.approx(reference.plan_adherence(expected[plan_id]))
        assert plan_adherence(plan_id, as_of) == pytest.approx(many[plan_id])
