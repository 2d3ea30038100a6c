"""Rows written before the edge was bounded (year 1 from a phone's DateTime.MinValue, 9999-12-31
placeholders): every page and list still answers, shows them, and marks them as suspect."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.management import call_command
from django.urls import reverse

from careplans.models import CarePlan, Visit
from coaching.models import CheckIn, HabitGoal
from exercises.models import Exercise, ExerciseSession, Prescription
from outcomes.models import Assessment
from tests.factories import CarePlanFactory, PatientFactory, today

pytestmark = pytest.mark.django_db

YEAR_1 = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
YEAR_9999 = dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC)
# Several instants across a UTC day (the test patients' today, as their onset dates are relative to
# it): before and after midnight in New York and in UTC.
INSTANTS = [f"{today()}T{hour}Z" for hour in ("02:30:00", "12:00:00", "23:30:00")]


def _suspect_history(patient, plan, pt, coach):
    """One row of each kind with an impossible date, inserted directly (no service, no validator)."""
    Assessment.objects.create(patient=patient, care_plan=plan, instrument="nprs", answers=[5], score=5,
                              collected_at=YEAR_1, source="staff", recorded_by=pt)
    Assessment.objects.create(patient=patient, care_plan=plan, instrument="nprs", answers=[4], score=4,
                              collected_at=YEAR_9999, source="staff", recorded_by=pt)
    Visit.objects.create(care_plan=plan, occurred_at=YEAR_1, mode="video", kind="evaluation", recorded_by=pt)
    exercise = Exercise.objects.filter(clinic__isnull=True).first()
    rx = Prescription.objects.create(care_plan=plan, exercise=exercise, sets=2, reps=10, times_per_week=3,
                                     start_date=dt.date(9999, 12, 31), created_by=pt)
    session = ExerciseSession.objects.create(patient=patient, care_plan=plan, performed_at=YEAR_1, source="staff",
                                             recorded_by=pt)
    session.prescriptions.add(rx)
    CheckIn.objects.create(patient=patient, coach=coach, occurred_at=YEAR_1, channel="phone", mood=3, confidence=5,
                           next_check_in=dt.date(9999, 12, 31))
    HabitGoal.objects.create(patient=patient, description="Walk", target_per_week=3, start_date=dt.date(9999, 12, 31),
                             created_by=coach)
    HabitGoal.objects.create(patient=patient, description="Stretch", target_per_week=3, start_date=dt.date(1, 1, 1),
                             created_by=coach)


@pytest.fixture
def suspect_world(clinic, pt, coach, patient):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, start_date=dt.date(9999, 12, 31),
                           status=CarePlan.Status.ACTIVE)
    _suspect_history(patient, plan, pt, coach)
    ancient = PatientFactory(clinic=clinic, primary_pt=pt, coach=coach, date_of_birth=dt.date(1, 1, 1),
                             pain_onset_date=dt.date(1, 1, 1))
    old_plan = CarePlanFactory(patient=ancient, lead_pt=pt, start_date=dt.date(1, 1, 1),
                               status=CarePlan.Status.ACTIVE)
    _suspect_history(ancient, old_plan, pt, coach)
    return patient, plan, ancient, old_plan


API_LISTS = ["patients", "care-plans", "assessments", "visits", "exercise-sessions", "check-ins", "habit-goals",
             "prescriptions", "reassessments", "outreach", "reminders", "alerts"]


@pytest.mark.parametrize("instant", INSTANTS)
def test_api_lists_and_details_answer_with_suspect_rows(client_for, pt, manager, coach, suspect_world, instant):
    patient, plan, ancient, old_plan = suspect_world
    with time_machine.travel(instant, tick=False):
        for user in (pt, coach, manager):
            api = client_for(user)
            for name in API_LISTS:
                assert api.get(f"/api/v1/{name}/").status_code == 200, (user.role, name)
            for p, pl in ((patient, plan), (ancient, old_plan)):
                assert api.get(f"/api/v1/patients/{p.pk}/").status_code == 200
                assert api.get(f"/api/v1/care-plans/{pl.pk}/").status_code == 200
                assert api.get(f"/api/v1/care-plans/{pl.pk}/adherence/").status_code == 200
                assert api.get(f"/api/v1/care-plans/{pl.pk}/prescriptions-as-of/",
                               {"at": "2026-03-01T00:00:00Z"}).status_code == 200
        api = client_for(pt)
        assert api.get(f"/api/v1/care-plans/{plan.pk}/").json()["suspect_dates"] == ["start_date"]
        assert api.get(f"/api/v1/patients/{ancient.pk}/").json()["suspect_dates"] == ["date_of_birth",
                                                                                     "pain_onset_date"]
        assert api.get(f"/api/v1/patients/{patient.pk}/").json()["suspect_dates"] == []
        marked = [row["suspect_dates"] for row in api.get("/api/v1/assessments/").json()["results"]]
        assert marked == [["collected_at"]] * 4
        marked = [row["suspect_dates"] for row in api.get("/api/v1/check-ins/").json()["results"]]
        assert marked == [["occurred_at", "next_check_in"]] * 2


@pytest.mark.parametrize("instant", INSTANTS)
def test_pages_answer_and_mark_suspect_dates(client, pt, coach, manager, suspect_world, instant):
    patient, plan, ancient, _ = suspect_world
    with time_machine.travel(instant, tick=False):
        for user in (pt, coach, manager):
            client.force_login(user)
            for p in (patient, ancient):
                response = client.get(reverse("web:patient", args=[p.pk]))
                assert response.status_code == 200, user.role
                assert "suspect date" in response.content.decode()
            listing = client.get(reverse("web:patients"))
            assert listing.status_code == 200
            assert listing.content.decode().count("suspect date") == 2  # both open plans' start dates
        client.force_login(coach)
        assert client.get(reverse("web:coach")).status_code == 200
        client.force_login(manager)
        assert client.get(reverse("web:dashboard")).status_code == 200
        client.force_login(pt)
        assert client.get(reverse("web:edit_plan", args=[plan.pk])).status_code == 200


def test_a_sane_date_is_not_marked(client, pt, patient):
    CarePlanFactory(patient=patient, lead_pt=pt, start_date=today(), status=CarePlan.Status.ACTIVE)
    client.force_login(pt)
    assert "suspect date" not in client.get(reverse("web:patient", args=[patient.pk])).content.decode()


def test_the_migration_and_the_command_list_suspect_rows(suspect_world, capsys):
    _, plan, ancient, old_plan = suspect_world
    migration = importlib.import_module("core.migrations.0005_report_suspect_dates")
    migration.report(django_apps, None)
    call_command("suspect_dates")
    out = capsys.readouterr().out
    for label in ("outcomes.Assessment.collected_at: 4 row(s)", "careplans.Visit.occurred_at: 2 row(s)",
                  f"careplans.CarePlan.start_date: 2 row(s), ids {sorted([plan.pk, old_plan.pk])}",
                  f"patients.Patient.date_of_birth: 1 row(s), ids [{ancient.pk}]",
                  "exercises.ExerciseSession.performed_at: 2 row(s)", "coaching.CheckIn.next_check_in: 2 row(s)",
                  "coaching.HabitGoal.start_date: 4 row(s)", "exercises.Prescription.start_date: 2 row(s)"):
        assert out.count(label) == 2, label
    assert out.rstrip().endswith(" suspect date(s).")


def test_a_report_over_suspect_rows_completes_and_its_page_answers(client, client_for, clinic, pt, coach, manager,
                                                                    suspect_world, django_capture_on_commit_callbacks):
    sane = PatientFactory(clinic=clinic, primary_pt=pt, coach=coach)
    sane_plan = CarePlanFactory(patient=sane, lead_pt=pt, start_date=today() - dt.timedelta(days=120),
                                status=CarePlan.Status.ACTIVE)
    _suspect_history(sane, sane_plan, pt, coach)
    body = {"start_from": "1900-01-01", "start_to": str(today()), "as_of": str(today())}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post("/api/v1/reports/outcomes/", body, format="json")
    assert response.status_code == 202, response.content
    report = client_for(manager).get(f"/api/v1/reports/outcomes/{response.json()['id']}/").json()
    assert report["status"] == "done", report.get("error")
    client.force_login(manager)
    assert client.get(reverse("web:dashboard"), {"report": report["id"]}).status_code == 200


def test_each_field_is_judged_by_its_own_kind():
    from core.bounds import is_suspect

    now = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    with time_machine.travel(now, tick=False):
        next_year = now + dt.timedelta(days=365)
        assert is_suspect(next_year, "collected_at")  # a measure cannot have happened next year
        assert not is_suspect(next_year, "created_at")  # a server stamp is judged by the sane range only
        assert is_suspect(dt.date(2026, 6, 1), "date_of_birth")  # born after today
        assert not is_suspect(dt.date(2026, 6, 1), "start_date")  # a plan may start in June
        assert not is_suspect(dt.date(2015, 6, 1), "start_date")  # a plan from 2015 is honest history
        assert is_suspect(dt.date(1899, 12, 31), "start_date")
        assert not is_suspect(now, "collected_at")


@pytest.mark.parametrize("instrument", ["nprs", "pgic", "psfs"])
def test_measures_are_recorded_for_a_plan_whose_start_is_suspect(client, pt, suspect_world, instrument):
    """A plan start of year 1 or 9999 has no §5 windows: the week-4 review, the PGIC window note and the
    PSFS follow-up activities skip it instead of overflowing the date (the measure is still recorded)."""
    answers = {"nprs": "6", "pgic": "2", "psfs": "walking: 4"}[instrument]
    client.force_login(pt)
    for patient, started in ((suspect_world[0], False), (suspect_world[2], True)):
        before = Assessment.objects.filter(patient=patient).count()
        page = client.post(reverse("web:record_measure", args=[patient.pk]),
                           {"instrument": instrument, "answers": answers,
                            "collected_at": f"{today() - dt.timedelta(days=1)}T09:00"}, follow=True)
        recorded = started or instrument != "pgic"  # a PGIC needs a plan started by then (§1 v2)
        assert page.status_code == (200 if recorded else 400)
        assert Assessment.objects.filter(patient=patient).count() == before + recorded
