"""The demo and the synthetic load screen their patients explicitly (clinical-reference §2, v2) and still
activate their plans: mostly none, a few positive, cleared and referred, and (demo) one patient waiting
for a screen."""

import datetime as dt
from collections import Counter

import pytest
import time_machine

from careplans.models import CarePlan
from demo.builder import DEMO_CLINIC, seed_demo
from demo.synthetic import seed_synthetic
from patients.models import Patient

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC)


def test_the_demo_screens_every_patient_but_one_and_activates_their_plans():
    with time_machine.travel(NOW, tick=False):
        seed_demo(patients=60)
    patients = Patient.objects.filter(clinic__name=DEMO_CLINIC)
    statuses = Counter(patients.values_list("red_flag_status", flat=True))
    assert statuses["not_screened"] == 1
    assert statuses["none"] > statuses["positive"] + statuses["cleared"] + statuses["referred"]
    assert statuses["positive"] and statuses["cleared"] + statuses["referred"]
    assert not patients.exclude(red_flag_status="not_screened").filter(red_flag_screened_by__isnull=True).exists()
    unscreened = patients.get(red_flag_status="not_screened")
    assert not unscreened.care_plans.exists()
    activated = CarePlan.objects.filter(patient__in=patients, activated_at__isnull=False)
    assert activated.exists()
    assert not activated.filter(patient__red_flag_status__in=["not_screened", "positive"]).exists()


def test_the_synthetic_load_screens_every_patient():
    with time_machine.travel(NOW, tick=False):
        seed_synthetic(patients=200)
    patients = Patient.objects.filter(clinic__name__startswith="Synthetic Clinic")
    statuses = Counter(patients.values_list("red_flag_status", flat=True))
    assert set(statuses) == {"none", "cleared", "referred"} and statuses["none"] == 190
    assert not patients.filter(red_flag_screened_by__isnull=True).exists()
    assert not patients.filter(red_flag_status__in=["cleared", "referred"], red_flag_reviewed_by__isnull=True).exists()
