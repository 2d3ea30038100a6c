"""Issue 11 item 5: existing patients' `none` becomes `not_screened` unless there is evidence that the
flags were looked at (a flag on record, a recorded review); positive, cleared and referred stay. Open
plans go on: only activation is gated."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from careplans import services as plans
from careplans.models import CarePlan, Goal
from core.errors import Conflict
from patients.models import Patient
from tests.factories import ClinicFactory, UserFactory

BEFORE = [("patients", "0006_alert_submitted_answers")]
AFTER = [("patients", "0007_red_flag_screen_v2")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _rows(apps):
    """Patients as the code before v2 stored them (the old state's model); staff and plans are of apps
    this migration leaves alone."""
    clinic = ClinicFactory(name="Old Clinic")
    pt = UserFactory(clinic=clinic, role="pt", email="old.pt@example.org")
    clinic = apps.get_model("accounts", "Clinic").objects.get(pk=clinic.pk)
    patient_model = apps.get_model("patients", "Patient")

    def patient(name, status="none", **fields):
        return patient_model.objects.create(
            clinic=clinic, first_name=name, last_name="Old", date_of_birth=dt.date(1970, 1, 1), timezone="UTC",
            pain_region="low_back", pain_onset_date=dt.date(2025, 1, 1), red_flag_status=status, **fields).pk

    ids = {
        "none": patient("None"),
        "treated": patient("Treated"),
        "legacy_flag": patient("Flag", red_flags=["fever_chills_weight_loss"]),
        "positive": patient("Positive", "positive", red_flags=["major_trauma"]),
        "cleared": patient("Cleared", "cleared", red_flags=["history_of_cancer"], red_flag_reviewed_by_id=pt.pk,
                           red_flag_review_note="Remote history"),
        "referred": patient("Referred", "referred", red_flags=["saddle_anaesthesia"], red_flag_reviewed_by_id=pt.pk,
                            red_flag_review_note="Sent to ED"),
    }
    for status, name in (("active", "treated"), ("draft", "none")):
        plan = CarePlan.objects.create(patient_id=ids[name], lead_pt=pt, created_by=pt, status=status,
                                       start_date=dt.date(2026, 1, 5))
        Goal.objects.create(care_plan=plan, category="pain", description="Sit", target="NPRS <= 3")
    return ids, pt


def test_none_without_evidence_becomes_not_screened_and_open_plans_go_on(old_apps):
    ids, pt = _rows(old_apps)
    migrate(AFTER)
    statuses = dict(Patient.objects.values_list("pk", "red_flag_status"))
    assert {name: statuses[pk] for name, pk in ids.items()} == {
        "none": "not_screened", "treated": "not_screened", "legacy_flag": "none", "positive": "positive",
        "cleared": "cleared", "referred": "referred",
    }
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    active = CarePlan.objects.get(patient_id=ids["treated"])
    assert plans.care_plan_pause(actor=pt, plan_id=active.pk).status == "paused"
    assert plans.care_plan_resume(actor=pt, plan_id=active.pk).status == "active"
    draft = CarePlan.objects.get(patient_id=ids["none"])
    with pytest.raises(Conflict, match="not been screened"):
        plans.care_plan_activate(actor=pt, plan_id=draft.pk)
