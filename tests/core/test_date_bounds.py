"""Dates at the edge (issue 10 §2): every date and datetime of every API body, query parameter and
web form lies in the range of its kind (core.bounds), else 400 on that field and nothing written."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from careplans.models import CarePlan
from coaching.models import DAYS_PER_WEEK, HabitGoal
from core.bounds import Bounded, Kind, date_range, is_suspect, moment_range
from exercises.models import Exercise, Prescription
from tests.factories import CarePlanFactory, today
from tests.test_permission_matrix import _row_counts
from web import forms

pytestmark = pytest.mark.django_db

INSTANTS = ["2026-03-10T02:30:00Z", "2026-03-10T12:00:00Z", "2026-03-10T23:30:00Z"]
MIN_VALUE = "0001-01-01T00:00:00Z"  # .NET's DateTime.MinValue, as a buggy phone app sends it
OUT_OF_UTC = "0001-01-01T00:00:00+05:00"  # no UTC instant in years 1..9999
BAD_MOMENTS = [MIN_VALUE, OUT_OF_UTC, "1899-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-05:00"]


@pytest.fixture
def plan(patient, pt):
    return CarePlanFactory(patient=patient, lead_pt=pt, start_date=today(), status=CarePlan.Status.ACTIVE)


@pytest.fixture
def rx(plan, pt):
    exercise = Exercise.objects.filter(clinic__isnull=True).first()
    return Prescription.objects.create(care_plan=plan, exercise=exercise, sets=2, reps=10, start_date=today(),
                                       created_by=pt)


@pytest.fixture
def goal(patient, coach):
    return HabitGoal.objects.create(patient=patient, description="Walk", target_per_week=3, start_date=today(),
                                    created_by=coach)


def _bodies(patient, plan, rx, goal):
    """(user role, path, body, field): one sane body per endpoint, with `field` to spoil."""
    return [
        ("pt", "/api/v1/assessments/", {"patient": patient.pk, "instrument": "nprs", "answers": [5]}, "collected_at"),
        ("pt", "/api/v1/visits/", {"care_plan": plan.pk, "mode": "video", "kind": "follow_up"}, "occurred_at"),
        ("coach", "/api/v1/check-ins/", {"patient": patient.pk, "channel": "phone", "mood": 3, "confidence": 5},
         "occurred_at"),
        ("coach", "/api/v1/exercise-sessions/", {"patient": patient.pk, "prescriptions": [rx.pk]}, "performed_at"),
    ]


@pytest.mark.parametrize("moment", BAD_MOMENTS)
def test_clinical_timestamps_outside_1900_to_now_are_refused_and_nothing_written(client_for, pt, coach, patient,
                                                                                plan, rx, goal, moment):
    users = {"pt": pt, "coach": coach}
    for role, path, body, field in _bodies(patient, plan, rx, goal):
        before = _row_counts()
        response = client_for(users[role]).post(path, body | {field: moment}, format="json")
        assert response.status_code == 400, (path, response.content)
        assert list(response.json()) == [field]
        assert _row_counts() == before


@pytest.mark.parametrize("instant", INSTANTS)
def test_the_clock_skew_is_the_limit_of_the_future(client_for, pt, patient, instant):
    api = client_for(pt)
    with time_machine.travel(instant, tick=False):
        now = dt.datetime.fromisoformat(instant)
        body = {"patient": patient.pk, "instrument": "nprs", "answers": [5]}
        late = api.post("/api/v1/assessments/", body | {"collected_at": (now + dt.timedelta(minutes=6)).isoformat()},
                        format="json")
        assert (late.status_code, list(late.json())) == (400, ["collected_at"])
        ok = api.post("/api/v1/assessments/", body | {"collected_at": (now + dt.timedelta(minutes=4)).isoformat()},
                      format="json")
        assert ok.status_code == 201, ok.content
        old = api.post("/api/v1/assessments/", body | {"collected_at": "1900-01-01T00:00:00Z"}, format="json")
        assert old.status_code == 201, old.content


def _plan_dates(patient, plan, rx, goal):
    return [
        ("pt", "post", "/api/v1/care-plans/", {"patient": patient.pk}, "start_date"),
        ("pt", "post", "/api/v1/prescriptions/", {"care_plan": plan.pk, "exercise": rx.exercise_id, "sets": 2,
                                                   "reps": 10}, "start_date"),
        ("coach", "post", "/api/v1/habit-goals/", {"patient": patient.pk, "description": "Walk",
                                                   "target_per_week": 3}, "start_date"),
        ("coach", "post", "/api/v1/check-ins/", {"patient": patient.pk, "channel": "phone", "mood": 3,
                                                 "confidence": 5, "occurred_at": "2026-01-01T00:00:00Z"},
         "next_check_in"),
    ]


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "years-ahead", "years-ago"])
def test_plan_dates_beyond_five_years_of_today_are_refused(client_for, pt, coach, patient, plan, rx, goal, day):
    day = {"years-ahead": today() + dt.timedelta(days=5 * 366 + 2),
           "years-ago": today() - dt.timedelta(days=5 * 366 + 2)}.get(day, day)
    users = {"pt": pt, "coach": coach}
    for role, _method, path, body, field in _plan_dates(patient, plan, rx, goal):
        before = _row_counts()
        response = client_for(users[role]).post(path, body | {field: str(day)}, format="json")
        assert response.status_code == 400, (path, response.content)
        assert field in response.json()
        assert _row_counts() == before


@pytest.mark.parametrize("instant", INSTANTS)
def test_plan_dates_within_five_years_are_accepted(client_for, pt, patient, instant):
    with time_machine.travel(instant, tick=False):
        back_dated = today() - dt.timedelta(days=4 * 365)
        response = client_for(pt).post("/api/v1/care-plans/", {"patient": patient.pk, "start_date": str(back_dated)},
                                       format="json")
        assert response.status_code == 201, response.content


@pytest.mark.parametrize(("field", "day"), [("date_of_birth", "1899-12-31"), ("date_of_birth", "0001-01-01"),
                                            ("pain_onset_date", "9999-12-31")])
def test_birth_and_onset_dates_are_bounded(client_for, pt, patient, field, day):
    before = _row_counts()
    response = client_for(pt).patch(f"/api/v1/patients/{patient.pk}/", {field: day}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert _row_counts() == before


def test_habit_targets_are_days_of_a_week(client_for, coach, patient, goal):
    api = client_for(coach)
    before = _row_counts()
    created = api.post("/api/v1/habit-goals/", {"patient": patient.pk, "description": "Walk",
                                                "target_per_week": DAYS_PER_WEEK + 1}, format="json")
    changed = api.patch(f"/api/v1/habit-goals/{goal.pk}/", {"target_per_week": DAYS_PER_WEEK + 1}, format="json")
    logged = api.post(f"/api/v1/habit-goals/{goal.pk}/log/", {"date": "0001-01-01"}, format="json")
    assert [(r.status_code, list(r.json())) for r in (created, changed, logged)] == [
        (400, ["target_per_week"]), (400, ["target_per_week"]), (400, ["date"])]
    assert _row_counts() == before
    assert api.post("/api/v1/habit-goals/", {"patient": patient.pk, "description": "Walk",
                                             "target_per_week": DAYS_PER_WEEK}, format="json").status_code == 201


@pytest.mark.parametrize(("field", "day"), [("start_from", "0001-01-01"), ("start_to", "9999-12-31"),
                                            ("as_of", "9999-12-31")])
def test_report_ranges_are_bounded(client_for, manager, field, day):
    body = {"start_from": "2025-01-01", "start_to": "2025-06-30"} | {field: day}
    before = _row_counts()
    response = client_for(manager).post("/api/v1/reports/outcomes/", body, format="json")
    assert (response.status_code, list(response.json())) == (400, [field])
    assert _row_counts() == before


def test_query_parameters_are_bounded(client_for, pt, plan):
    api = client_for(pt)
    adherence = api.get(f"/api/v1/care-plans/{plan.pk}/adherence/", {"as_of": "9999-12-31"})
    as_of = api.get(f"/api/v1/care-plans/{plan.pk}/prescriptions-as-of/", {"at": OUT_OF_UTC})
    assert [(r.status_code, list(r.json())) for r in (adherence, as_of)] == [(400, ["as_of"]), (400, ["at"])]


# --- Web forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("form_class", "data", "field"), [
    (forms.MeasureForm, {"instrument": "nprs", "answers": "5", "collected_at": "0001-01-01T00:00"}, "collected_at"),
    (forms.VisitForm, {"kind": "follow_up", "mode": "video", "occurred_at": "9999-12-31T23:59"}, "occurred_at"),
    (forms.CheckInForm, {"channel": "phone", "mood": 3, "confidence": 5, "occurred_at": "2026-01-01T10:00",
                         "next_check_in": "9999-12-31"}, "next_check_in"),
    (forms.CarePlanForm, {"start_date": "9999-12-31", "goal_category": "pain", "goal_description": "Less",
                          "goal_target": "NPRS <= 3"}, "start_date"),
    (forms.HabitGoalForm, {"description": "Walk", "target_per_week": 8}, "target_per_week"),
    (forms.HabitLogForm, {"date": "0001-01-01"}, "date"),
    (forms.ReportForm, {"start_from": "0001-01-01", "start_to": "2025-01-01"}, "start_from"),
])
def test_web_forms_bound_dates_and_counts(form_class, data, field):
    form = form_class(data)
    assert not form.is_valid()
    assert list(form.errors) == [field]


def test_a_year_one_measure_from_the_page_is_refused_and_nothing_written(client, pt, patient):
    client.force_login(pt)
    before = _row_counts()
    response = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": "nprs", "answers": "5", "collected_at": "0001-01-01T00:00"})
    assert response.status_code == 400
    assert "collected_at" in response.context["forms"]["measure"].errors
    assert _row_counts() == before


def test_the_intake_form_bounds_the_birth_date(client, pt, patient):
    form = forms.IntakeForm({"date_of_birth": "1899-12-31"}, user=pt)
    assert not form.is_valid()
    assert "date_of_birth" in form.errors


# --- The bounds themselves -----------------------------------------------------------------------


@pytest.mark.parametrize("instant", INSTANTS)
def test_today_in_the_bounds_is_every_local_today(instant):
    """The edge does not know the patient's zone: a date that is today anywhere on Earth is today."""
    now = dt.datetime.fromisoformat(instant)
    with time_machine.travel(instant, tick=False):
        first, last = date_range(Kind.PAST_DATE)
        assert first == dt.date(1900, 1, 1)
        assert last == (now + dt.timedelta(hours=14)).date()
        Bounded(Kind.PAST_DATE)(last)
        low, high = date_range(Kind.PLAN_DATE)
        assert low == (now - dt.timedelta(hours=12)).date() - dt.timedelta(days=1826)
        assert high == last + dt.timedelta(days=1826)
        assert moment_range(Kind.CLINICAL_TIME)[1] == now + dt.timedelta(minutes=5)
        assert not is_suspect(now) and not is_suspect(dt.date(1900, 1, 1))
        assert is_suspect(dt.datetime(1, 1, 1, tzinfo=dt.UTC)) and is_suspect(dt.date(9999, 12, 31))


def test_a_year_one_check_in_with_a_next_date_is_a_400_not_a_500(client_for, coach, patient):
    """It used to reach the service, whose `occurred_at - 1 day` left year 1: a 500."""
    before = _row_counts()
    response = client_for(coach).post("/api/v1/check-ins/", {
        "patient": patient.pk, "channel": "phone", "mood": 3, "confidence": 5, "occurred_at": MIN_VALUE,
        "next_check_in": str(today() + dt.timedelta(days=7))}, format="json")
    assert (response.status_code, list(response.json())) == (400, ["occurred_at"])
    assert _row_counts() == before
