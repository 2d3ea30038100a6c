"""patient_record: the patient's page in one object, with the actions it offers decided in Python."""

import datetime as dt
import re

import pytest
from django.http import Http404
from django.urls import reverse

from careplans.models import CarePlan
from careplans.selectors import allowed_transitions
from coaching import services as coaching
from exercises import services as exercises
from exercises.models import Exercise
from patients.models import RedFlagStatus
from tests.factories import CarePlanFactory, GoalFactory, PatientFactory, today
from web.forms import DosageForm
from web.selectors import patient_record

pytestmark = pytest.mark.django_db


def plan_of(patient, pt, status):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status=status, start_date=today() - dt.timedelta(days=9))
    GoalFactory(care_plan=plan)
    return plan


def test_the_record_of_an_active_plan(patient, pt, coach):
    plan = plan_of(patient, pt, "active")
    exercise = Exercise.objects.filter(clinic__isnull=True).first()
    exercises.prescription_create(actor=pt, care_plan=plan, exercise=exercise, start_date=plan.start_date)
    coaching.habit_goal_create(actor=coach, patient=patient, description="Walk", target_per_week=3)

    lead = patient_record(pt, patient.pk)
    assert (lead.plan, lead.week, lead.may_lead, lead.may_change_plan) == (plan, 2, True, True)
    assert lead.plan_steps == ["pause", "discharge"]
    assert [rx.may_change for rx in lead.prescriptions] == [True]
    assert not lead.may_open_plan  # the patient has an open plan
    assert [goal["may_log"] for goal in lead.goals] == [False]  # habits are the coach's

    other = patient_record(coach, patient.pk)
    assert (other.may_lead, other.may_change_plan, other.plan_steps) == (False, False, [])
    assert [rx.may_change for rx in other.prescriptions] == [False]
    assert [goal["may_log"] for goal in other.goals] == [True]


def test_a_discharged_plan_offers_no_change(patient, pt):
    plan_of(patient, pt, "discharged")
    record = patient_record(pt, patient.pk)
    assert (record.may_lead, record.may_change_plan, record.plan_steps) == (True, False, [])
    assert record.may_open_plan


@pytest.mark.parametrize(("status", "screen", "review"), [
    (RedFlagStatus.NOT_SCREENED, True, False), (RedFlagStatus.POSITIVE, False, True),
    (RedFlagStatus.NONE, False, False),
])
def test_the_red_flag_forms_follow_the_status(clinic, pt, coach, status, screen, review):
    patient = PatientFactory(clinic=clinic, red_flag_status=status,
                             red_flags=["major_trauma"] if status == RedFlagStatus.POSITIVE else [])
    lead, other = patient_record(pt, patient.pk), patient_record(coach, patient.pk)
    assert (lead.may_screen, lead.may_review) == (screen, review)
    assert (other.may_screen, other.may_review) == (False, False)


def test_another_clinics_patient_is_a_404(pt, outsider_patient):
    with pytest.raises(Http404):
        patient_record(pt, outsider_patient.pk)


@pytest.mark.parametrize("status", CarePlan.Status.values)
def test_the_page_offers_exactly_the_allowed_steps(client, patient, pt, status):
    plan = plan_of(patient, pt, status)
    client.force_login(pt)
    page = client.get(reverse("web:patient", args=[patient.pk])).content.decode()
    offered = re.findall(rf'formaction="[^"]*/plans/{plan.pk}/(\w+)/"', page)
    assert offered == allowed_transitions(plan)


def test_the_dosage_inputs_carry_the_forms_bounds(client, patient, pt):
    plan = plan_of(patient, pt, "active")
    exercise = Exercise.objects.filter(clinic__isnull=True).first()
    rx = exercises.prescription_create(actor=pt, care_plan=plan, exercise=exercise, start_date=plan.start_date)
    client.force_login(pt)
    page = client.get(reverse("web:patient", args=[patient.pk])).content.decode()
    for name, prefix in [("sets", "sets"), ("reps", "reps"), ("hold_seconds", "hold"), ("times_per_week", "tpw")]:
        field = DosageForm.base_fields[name]
        bounds = f'min="{field.min_value}" max="{field.max_value}"'
        assert f'id="{prefix}-{rx.pk}" name="{name}" type="number" {bounds}' in page
