"""Pages run a bounded number of queries, the same for a little data as for a lot."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coaching import services as coaching
from exercises import services as exercises
from exercises.models import Exercise
from outcomes import services as outcomes
from tests.factories import CarePlanFactory, GoalFactory, PatientFactory, today

pytestmark = pytest.mark.django_db
NOW = dt.datetime.now(dt.UTC)
MAX_QUERIES = 30


def history(patient, pt, coach, amount):
    """A plan with `amount` prescriptions, sessions, assessments and check-ins."""
    plan = patient.care_plans.first() or CarePlanFactory(patient=patient, lead_pt=pt, status="active",
                                                         start_date=today() - dt.timedelta(days=40))
    GoalFactory(care_plan=plan)
    for exercise in Exercise.objects.filter(clinic__isnull=True)[:amount]:
        prescription = exercises.prescription_create(actor=pt, care_plan=plan, exercise=exercise,
                                                     start_date=plan.start_date)
        exercises.prescription_modify(actor=pt, prescription_id=prescription.pk, expected_version=1, reason="dosage",
                                      times_per_week=4)
        exercises.session_record(actor=coach, patient=patient, prescriptions=[prescription], source="staff",
                                 performed_at=NOW - dt.timedelta(days=amount))
        outcomes.assessment_record(actor=pt, patient=patient, instrument="nprs", answers=[5], source="staff",
                                   collected_at=NOW - dt.timedelta(days=amount))
        coaching.check_in_record(actor=coach, patient=patient, occurred_at=NOW - dt.timedelta(hours=amount),
                                 channel="phone", mood=3, confidence=5)
    goal = coaching.habit_goal_create(actor=coach, patient=patient, description="Walk", target_per_week=3)
    coaching.habit_log(actor=coach, goal=goal, done_on=today())


def count(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), "\n".join(q["sql"][:200] for q in captured.captured_queries)


@pytest.mark.parametrize("page", ["patient", "patients", "coach", "dashboard"])
def test_page_queries_stay_bounded(client, clinic, pt, coach, manager, page):
    patient = PatientFactory(clinic=clinic, primary_pt=pt, coach=coach)
    urls = {"patient": f"/patients/{patient.pk}/", "patients": "/patients/", "coach": "/coach/",
            "dashboard": "/dashboard/"}
    client.force_login(manager if page == "dashboard" else coach if page == "coach" else pt)
    history(patient, pt, coach, 1)
    few, _ = count(client, urls[page])
    history(patient, pt, coach, 12)
    PatientFactory.create_batch(20, clinic=clinic, coach=coach)
    many, sql = count(client, urls[page])
    assert many == few, sql
    assert many <= MAX_QUERIES, sql
