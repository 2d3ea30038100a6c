import datetime as dt

import pytest

from outcomes import services
from tests.factories import CarePlanFactory, today

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 5, 1)


def statuses(user, **kwargs):
    from outcomes.selectors import reassessments

    return {(row["care_plan"] if "care_plan" in row else row["id"], row["point"]): row["status"]
            for row in reassessments(user, today=TODAY, **kwargs)}


def test_each_point_gets_its_status(pt, patient, outsider_pt):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=TODAY - dt.timedelta(days=60))
    collected = dt.datetime.combine(plan.start_date, dt.time(12), dt.UTC)
    services.assessment_record(actor=pt, patient=patient, instrument="nprs", answers=[5], collected_at=collected,
                               source="staff")
    got = statuses(pt)
    # day 60: baseline done; week 4 (window 21-35) missed; week 8 (due 56, window to 63) overdue; week 12 upcoming
    assert got == {(plan.pk, "baseline"): "done", (plan.pk, "week_4"): "missed",
                   (plan.pk, "week_8"): "overdue", (plan.pk, "week_12"): "upcoming"}
    assert statuses(pt, statuses=["overdue"]) == {(plan.pk, "week_8"): "overdue"}
    assert statuses(outsider_pt) == {}


def test_api_lists_overdue_reassessments(api, pt, patient, outsider_patient):
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active",
                           start_date=today() - dt.timedelta(days=30))
    CarePlanFactory(patient=outsider_patient, status="active", start_date=plan.start_date)
    rows = api.get("/api/v1/reassessments/", {"status": "overdue"}).json()["results"]
    assert [(row["care_plan"], row["point"]) for row in rows] == [(plan.pk, "week_4")]
    everything = api.get("/api/v1/reassessments/").json()["results"]
    assert {row["patient"] for row in everything} == {patient.pk}
    assert api.get("/api/v1/reassessments/", {"status": "late"}).status_code == 400


@pytest.mark.parametrize(("day", "status"), [(-14, "done"), (0, "done"), (1, "missed"), (3, "missed")])
def test_the_baseline_is_done_only_before_treatment_starts(pt, patient, day, status):
    # clinical-reference §5 (v2): the baseline window is [S - 14, S]; a score after the start is not one
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=TODAY - dt.timedelta(days=10))
    collected = dt.datetime.combine(plan.start_date + dt.timedelta(days=day), dt.time(12), dt.UTC)
    services.assessment_record(actor=pt, patient=patient, instrument="nprs", answers=[5], collected_at=collected,
                               source="staff")
    assert statuses(pt)[(plan.pk, "baseline")] == status
