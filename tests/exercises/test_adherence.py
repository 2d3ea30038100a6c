import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careplans.models import StatusChange
from exercises.models import Exercise, ExerciseSession, Prescription, PrescriptionVersion
from exercises.selectors import plans_adherence, weekly_adherence
from tests.exercises import reference
from tests.factories import CarePlanFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 2)  # a Monday; US daylight saving starts 2026-03-08, inside week 1
TZ = "America/Chicago"


def plan_adherence(plan_id: int, as_of: dt.date | None = None) -> float | None:
    """The database's one-plan figure, moverx_plan_adherence (what `plan_adherence_sql` lists show)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT moverx_plan_adherence(%s, %s::date)", [plan_id, as_of])
        value = cursor.fetchone()[0]
    return None if value is None else float(value)


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


def lifecycle(plan, *changes):
    """changes: (changed_at, to_status) in order, recorded as the plan's status history; a discharge
    also sets the plan's discharged_at, as careplans.services does."""
    statuses = ["active", *(to_status for _, to_status in changes)]
    for (changed_at, to_status), from_status in zip(changes, statuses, strict=False):
        change = StatusChange.objects.create(care_plan=plan, from_status=from_status, to_status=to_status,
                                             changed_by=plan.lead_pt)
        StatusChange.objects.filter(pk=change.pk).update(changed_at=changed_at)  # auto_now_add otherwise
        if to_status == "discharged":
            plan.discharged_at, plan.status = changed_at, "discharged"
            plan.save()
    return [(changed_at, to_status) for changed_at, to_status in changes]


def active_days_of(plan, as_of):
    return {w.week: (w.active_days, w.full_target, w.target) for w in weekly_adherence([plan.pk], as_of)}


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


def test_a_pause_mid_week_lowers_the_target_by_the_days_it_touched(plan):
    """Paused on Wednesday 10:00 of week 2, resumed on Friday 09:00: Wednesday, Thursday and Friday
    were not active all day, so A = 4 and the target is ceil(3 × 4 ÷ 7) = 2; two sessions are full."""
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 3))
    lifecycle(plan, (at(9, 10), "paused"), (at(11, 9), "active"))
    session(plan, at(7))
    session(plan, at(12))
    weeks = weeks_of(plan, START + dt.timedelta(days=21))
    assert weeks[2] == (2, 2, 1.0, True)
    assert active_days_of(plan, START + dt.timedelta(days=21))[2] == (4, 3, 2)
    assert weeks[1][0] == weeks[3][0] == 3


def test_a_pause_from_one_week_edge_to_the_next_leaves_the_week_out(plan):
    """Paused at local midnight starting week 2, resumed at local midnight starting week 3."""
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 3))
    lifecycle(plan, (reference.local_midnight(START + dt.timedelta(days=7), TZ), "paused"),
              (reference.local_midnight(START + dt.timedelta(days=14), TZ), "active"))
    for day in (0, 1, 2, 15):
        session(plan, at(day))
    as_of = START + dt.timedelta(days=21)
    days = active_days_of(plan, as_of)
    assert [days[week] for week in (1, 2, 3)] == [(7, 3, 3), (0, 3, None), (7, 3, 3)]
    assert weeks_of(plan, as_of)[2] == (None, 0, None, True)
    assert plan_adherence(plan.pk, as_of) == pytest.approx((1 + 1 / 3) / 2)  # week 2 left out


def test_a_plan_paused_all_week_has_no_target_that_week(plan):
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 3))
    lifecycle(plan, (at(5, 18), "paused"), (at(15, 8), "active"))
    # Out: Saturday and Sunday of week 1, all of week 2, Monday and Tuesday (resumed at 08:00) of week 3.
    days = active_days_of(plan, START + dt.timedelta(days=20))
    assert [days[week] for week in (1, 2, 3)] == [(5, 3, 3), (0, 3, None), (5, 3, 3)]


def test_several_pauses_in_one_week_count_each_day_once(plan):
    """Monday 12:00-13:00, Thursday 08:00 to Thursday 20:00 and 21:00 to Friday 07:00: Monday,
    Thursday and Friday are out, A = 4, target ceil(7 × 4 ÷ 7) = 4."""
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 7))
    lifecycle(plan, (at(7, 12), "paused"), (at(7, 13), "active"), (at(10, 8), "paused"),
              (at(10, 20), "active"), (at(10, 21), "paused"), (at(11, 7), "active"))
    assert active_days_of(plan, START + dt.timedelta(days=14))[2] == (4, 7, 4)


def test_a_pause_just_across_midnight_takes_out_both_days(plan):
    """Sunday 23:59 of week 1 to Monday 00:01 of week 2: neither day was active all day."""
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 7))
    lifecycle(plan, (at(6, 23, 59), "paused"), (at(7, 0, 1), "active"))
    days = active_days_of(plan, START + dt.timedelta(days=14))
    assert (days[1], days[2]) == ((6, 7, 6), (6, 7, 6))


def test_discharge_mid_week_counts_the_days_before_it(plan):
    """Discharged on Wednesday 15:00 of week 3: Monday and Tuesday were active, ceil(3 × 2 ÷ 7) = 1."""
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 3))
    lifecycle(plan, (at(16, 15), "discharged"))
    session(plan, at(14))
    as_of = START + dt.timedelta(days=35)
    assert active_days_of(plan, as_of)[3] == (2, 3, 1)
    weeks = weeks_of(plan, as_of)
    assert weeks[3] == (1, 1, 1.0, True)
    assert weeks[4][0] is None and active_days_of(plan, as_of)[4][0] == 0


def test_paused_days_follow_local_dates_across_daylight_saving(plan):
    """Chicago moves its clocks on Sunday 2026-03-08 (day 6): paused from Saturday's local midnight
    to Monday's, a 47-hour pause, takes out exactly Saturday and Sunday; A = 5, ceil(7 × 5 ÷ 7) = 5."""
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 7))
    paused, resumed = (reference.local_midnight(START + dt.timedelta(days=day), TZ) for day in (5, 7))
    assert resumed.astimezone(dt.UTC) - paused.astimezone(dt.UTC) == dt.timedelta(hours=47)
    lifecycle(plan, (paused, "paused"), (resumed, "active"))
    days = active_days_of(plan, START + dt.timedelta(days=14))
    assert (days[1], days[2]) == ((5, 7, 5), (7, 7, 7))


def test_a_discharge_while_paused_keeps_the_days_out(plan):
    prescribe(plan, (reference.local_midnight(START, TZ), "active", 3))
    lifecycle(plan, (at(3, 9), "paused"), (at(20, 9), "discharged"))
    days = active_days_of(plan, START + dt.timedelta(days=28))
    assert [days[week][0] for week in (1, 2, 3, 4)] == [3, 0, 0, 0]
    assert plan_adherence(plan.pk, START + dt.timedelta(days=28)) == 0.0  # week 1 only: 0 of ceil(9/7)=2


VERSION = st.tuples(st.integers(0, 90), st.integers(0, 23), st.sampled_from(["active", "discontinued"]),
                    st.integers(1, 7))


# Status changes near week edges, local midnights and the hours when clocks move.
MOMENT = st.tuples(st.one_of(st.integers(-3, 90), st.sampled_from([0, 6, 7, 13, 14, 27, 28, 34, 35])),
                   st.sampled_from([0, 0, 0, 1, 2, 3, 9, 12, 23]), st.sampled_from([0, 0, 1, 30, 59]))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    plans=st.lists(st.tuples(
        st.sampled_from(["America/Chicago", "Europe/London", "Asia/Tokyo", "Pacific/Auckland",
                         "America/Santiago"]),
        st.lists(st.lists(VERSION, min_size=1, max_size=4), max_size=3),
        st.lists(st.tuples(st.integers(-3, 90), st.integers(0, 23), st.integers(0, 59), st.booleans()),
                 max_size=25),
        st.one_of(st.none(), st.tuples(st.integers(20, 80), st.sampled_from([0, 0, 12, 23]))),
        st.lists(MOMENT, max_size=8),
    ), min_size=1, max_size=4),
    as_of_offset=st.integers(0, 100),
)
def test_sql_matches_the_reference_and_many_plans_match_one(clinic, plans, as_of_offset):
    pt = UserFactory(clinic=clinic)
    as_of = START + dt.timedelta(days=as_of_offset)
    expected, ids = {}, []
    for tz, prescriptions, sessions, discharge, toggles in plans:
        plan = CarePlanFactory(patient=PatientFactory(clinic=clinic, timezone=tz), lead_pt=pt, start_date=START,
                               status="active")
        discharged_at = at(*discharge, tz=tz) if discharge else None
        moments = sorted(at(day, hour, minute, tz=tz) for day, hour, minute in toggles)
        moments = [moment for moment in moments if discharged_at is None or moment < discharged_at]
        changes = lifecycle(plan, *((moment, "paused" if i % 2 == 0 else "active") for i, moment in enumerate(moments)),
                            *([(discharged_at, "discharged")] if discharged_at else []))
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
                                                       discharged_at=discharged_at, status_changes=changes)
        ids.append(plan.pk)
    many = plans_adherence(ids, as_of)
    rows = weekly_adherence(ids, as_of)
    for plan_id in ids:
        got = {w.week: (w.target, w.done, w.adherence, w.ended, w.active_days, w.full_target)
               for w in rows if w.plan_id == plan_id}
        assert got.keys() == expected[plan_id].keys()
        for week, row in expected[plan_id].items():
            assert got[week][:2] == row[:2] and got[week][3:] == row[3:]
            assert got[week][2] == pytest.approx(row[2])
        assert many[plan_id] == pytest.approx(reference.plan_adherence(expected[plan_id]))
        assert plan_adherence(plan_id, as_of) == pytest.approx(many[plan_id])


def test_the_api_shows_the_effective_target_of_a_week_with_a_pause(api, patient, pt):
    """Paused and resumed through the API on Wednesday and Friday mornings of week 2 (patient in New
    York): the adherence action shows target ceil(3 × 4 ÷ 7) = 2 that week, met by two sessions."""
    tz = patient.timezone
    plan = CarePlanFactory(patient=patient, lead_pt=pt, start_date=START, status="active")
    prescribe(plan, (reference.local_midnight(START, tz), "active", 3))
    for day, step in ((9, "pause"), (11, "resume")):
        with time_machine.travel(at(day, 10, tz=tz), tick=False):
            response = api.post(f"/api/v1/care-plans/{plan.pk}/{step}/", {"note": step}, format="json")
            assert response.status_code == 200, response.content
    for day in (0, 1, 2, 7, 12):
        session(plan, at(day, tz=tz))
    as_of = START + dt.timedelta(days=14)
    response = api.get(f"/api/v1/care-plans/{plan.pk}/adherence/", {"as_of": as_of.isoformat()})
    assert response.status_code == 200, response.content
    weeks = {week["week"]: week for week in response.json()["weeks"]}
    assert (weeks[1]["target"], weeks[1]["adherence"]) == (3, 1.0)
    assert (weeks[2]["target"], weeks[2]["done"], weeks[2]["adherence"]) == (2, 2, 1.0)
    assert (weeks[2]["active_days"], weeks[2]["full_target"]) == (4, 3)  # Wed, Thu, Fri out
    assert response.json()["plan_adherence"] == 1.0
