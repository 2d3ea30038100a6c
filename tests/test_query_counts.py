"""Every list endpoint runs the same number of queries for 1 row as for 30 (DESIGN.md, budgets)."""

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careplans.models import Visit
from coaching import services as coaching
from coaching.models import OutreachItem, ReminderDelivery
from core.audit import record_reads
from exercises import services
from exercises.models import Exercise
from outcomes import services as outcomes
from patients.models import Alert
from tests.factories import CarePlanFactory, ClinicFactory, GoalFactory, PatientFactory, UserFactory, today

pytestmark = pytest.mark.django_db
TEMPLATE_NUMBERS = itertools.count()  # template names are unique in a clinic


def patients(side, n):
    PatientFactory.create_batch(n, clinic=side["clinic"], primary_pt=side["pt"], coach=side["coach"])


def plans(side, n):
    for plan in CarePlanFactory.create_batch(n, patient__clinic=side["clinic"], lead_pt=side["pt"]):
        GoalFactory.create_batch(2, care_plan=plan)


def visits(side, n):
    plan = CarePlanFactory(patient__clinic=side["clinic"], lead_pt=side["pt"], status="active")
    Visit.objects.bulk_create(
        Visit(care_plan=plan, occurred_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), mode="video", kind="follow_up",
              recorded_by=side["pt"]) for _ in range(n))


def alerts(side, n):
    patient = PatientFactory(clinic=side["clinic"])
    Alert.objects.bulk_create(Alert(patient=patient, kind="safety", severity="urgent", message="m") for _ in range(n))


def staff(side, n):
    UserFactory.create_batch(n, clinic=side["clinic"])


def audit_events(side, n):
    record_reads(user=side["manager"], rows=[("patients_patient", i, i, side["clinic"].pk) for i in range(n)])


def clinics(side, n):
    ClinicFactory.create_batch(n)


def custom_exercises(side, n):
    for i in range(n):
        services.exercise_create(actor=side["pt"], clinic=side["clinic"], name=f"Custom {i} {side['clinic'].pk}",
                                 category="mobility", body_regions=["neck"], equipment=["none"], difficulty=1,
                                 instructions="Move gently.", default_sets=1, default_reps=5)


def templates(side, n):
    bird_dog = Exercise.objects.get(slug="bird-dog")
    for i in range(n):
        services.template_save(actor=side["pt"], clinic=side["clinic"], name=f"T{i}-{next(TEMPLATE_NUMBERS)}",
                               items=[{"exercise": bird_dog}, {"exercise": bird_dog, "times_per_week": 2}])


def _plan_with_prescription(side):
    plan = side.get("plan")
    if plan is None:
        plan = side["plan"] = CarePlanFactory(patient__clinic=side["clinic"], lead_pt=side["pt"], status="active",
                                              start_date=today() - dt.timedelta(days=20))
    return plan


def prescriptions(side, n):
    plan = _plan_with_prescription(side)
    for exercise in Exercise.objects.filter(clinic__isnull=True)[:n]:
        services.prescription_create(actor=side["pt"], care_plan=plan, exercise=exercise)


def sessions(side, n):
    plan = _plan_with_prescription(side)
    prescription = services.prescription_create(actor=side["pt"], care_plan=plan,
                                                exercise=Exercise.objects.get(slug="bird-dog"))
    for i in range(n):
        services.session_record(actor=side["pt"], patient=plan.patient, prescriptions=[prescription],
                                performed_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=i + 1), source="staff")


def assessments(side, n):
    patient = PatientFactory(clinic=side["clinic"])
    for i in range(n):
        outcomes.assessment_record(actor=side["pt"], patient=patient, instrument="nprs", answers=[i % 11],
                                   collected_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=i), source="staff")


def open_plans(side, n):
    for _ in range(n):
        CarePlanFactory(patient__clinic=side["clinic"], lead_pt=side["pt"], status="active")


def reports(side, n):
    for _ in range(n):
        outcomes.report_request(actor=side["manager"], clinic=side["clinic"], start_from=dt.date(2026, 1, 1),
                                start_to=dt.date(2026, 2, 1), as_of=dt.date(2026, 9, 1))


def check_ins(side, n):
    patient = PatientFactory(clinic=side["clinic"])
    for i in range(n):
        coaching.check_in_record(actor=side["coach"], patient=patient, channel="phone", mood=3, confidence=5,
                                 occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=i))


def habit_goals(side, n):
    patient = PatientFactory(clinic=side["clinic"])
    for i in range(n):
        goal = coaching.habit_goal_create(actor=side["coach"], patient=patient, description=f"Habit {i}",
                                          target_per_week=3, start_date=today() - dt.timedelta(days=9))
        coaching.habit_log(actor=side["coach"], goal=goal, done_on=today() - dt.timedelta(days=1))


def outreach(side, n):
    for patient in PatientFactory.create_batch(n, clinic=side["clinic"], coach=side["coach"]):
        OutreachItem.objects.create(patient=patient, coach=side["coach"], cause="open_alert", detail="d")


def reminder_rows(side, n):
    for _ in range(n):
        plan = CarePlanFactory(patient__clinic=side["clinic"], lead_pt=side["pt"], status="active")
        ReminderDelivery.objects.create(patient=plan.patient, care_plan=plan, slot=today(), channel="email")


LISTS = {
    "/api/v1/patients/": ("pt", patients),
    "/api/v1/care-plans/": ("pt", plans),
    "/api/v1/visits/": ("pt", visits),
    "/api/v1/alerts/": ("coach", alerts),
    "/api/v1/staff/": ("manager", staff),
    "/api/v1/audit-events/?action=read": ("manager", audit_events),
    "/api/v1/clinics/": ("admin", clinics),
    "/api/v1/exercises/?custom=true": ("pt", custom_exercises),
    "/api/v1/templates/": ("manager", templates),
    "/api/v1/prescriptions/": ("pt", prescriptions),
    "/api/v1/exercise-sessions/": ("coach", sessions),
    "/api/v1/assessments/": ("pt", assessments),
    "/api/v1/reassessments/?page_size=200": ("coach", open_plans),
    "/api/v1/reports/outcomes/": ("manager", reports),
    "/api/v1/check-ins/": ("pt", check_ins),
    "/api/v1/habit-goals/": ("manager", habit_goals),
    "/api/v1/outreach/": ("coach", outreach),
    "/api/v1/reminders/": ("coach", reminder_rows),
}


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured), [q["sql"] for q in captured.captured_queries], response.json()


@pytest.mark.parametrize("url", LISTS)
def test_list_query_count_is_constant(client_for, url):
    role, make = LISTS[url]
    clinic = ClinicFactory()
    side = {"clinic": clinic, **{r: UserFactory(clinic=clinic, role=r) for r in ("pt", "coach", "manager")}}
    side["admin"] = UserFactory(clinic=None, role="", is_superuser=True)
    client = client_for(side[role])
    make(side, 1)
    one, _, body = count_queries(client, url)
    make(side, 29)
    thirty, sql, body = count_queries(client, url)
    assert len(body["results"]) >= 30
    assert thirty == one, "\n\n".join(sql)
