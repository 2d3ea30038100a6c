"""The patient's own score charts: dated in the patient's local days (as the table and the
reassessment windows are), with the band of the minimal important change drawn from the baseline
(clinical-reference §3) and the goal's target; a plan with nothing yet says so."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from outcomes.models import Assessment
from tests.factories import CarePlanFactory, GoalFactory, PatientFactory
from web import charts

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 20)
INSTANTS = [dt.datetime.combine(DAY, dt.time(hour, minute), dt.UTC) for hour, minute in
            ((0, 30), (5, 0), (12, 0), (23, 30))]


def measured(patient, instrument, score, at, pt):
    return Assessment.objects.create(patient=patient, instrument=instrument, answers=[score], score=score, band="",
                                     collected_at=at, source="staff", recorded_by=pt)


def patient_page(client, pt, patient):
    client.force_login(pt)
    response = client.get(reverse("web:patient", args=[patient.pk]))
    assert response.status_code == 200
    return response


def chart(response, chart_id):
    found = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', response.content.decode(),
                      re.DOTALL)
    return json.loads(found[1]) if found else None


@pytest.mark.parametrize(("zone", "local_days"), [
    ("America/Los_Angeles", ["2026-11-19", "2026-11-19", "2026-11-20", "2026-11-20"]),
    ("Asia/Tokyo", ["2026-11-20", "2026-11-20", "2026-11-20", "2026-11-21"]),
    ("Pacific/Auckland", ["2026-11-20", "2026-11-20", "2026-11-21", "2026-11-21"]),
    ("UTC", ["2026-11-20"] * 4),
])
def test_scores_are_dated_in_the_patients_own_days(client, clinic, pt, zone, local_days):
    patient = PatientFactory(clinic=clinic, primary_pt=pt, timezone=zone)  # the clinic is in New York
    for score, at in enumerate(INSTANTS, start=3):
        measured(patient, "nprs", score, at, pt)
    response = patient_page(client, pt, patient)
    line = chart(response, "chart-scores-nprs")["data"][0]
    assert line["x"] == local_days and line["y"] == [3, 4, 5, 6]
    table = response.content.decode()
    for day in set(local_days):
        assert dt.date.fromisoformat(day).strftime("%b %-d, %Y") in table  # the table says the same days


def test_the_date_axis_ticks_whole_days():
    one = Assessment(instrument="nprs", score=5, collected_at=INSTANTS[0])
    [series] = charts.score_series([one], zone="UTC", plan_start=None, targets={})
    axis = charts.scores([series])[0]["spec"]["layout"]["xaxis"]
    assert axis["type"] == "date" and axis["tickformat"] == "%b %-d"
    assert axis["dtick"] % charts.DAY_MS == 0 and axis["range"][0] < "2026-11-20" < axis["range"][1]


def test_the_important_change_band_starts_at_the_baseline_and_the_goal_is_drawn(client, clinic, pt):
    patient = PatientFactory(clinic=clinic, primary_pt=pt, timezone="UTC")
    start = dt.date(2026, 11, 1)
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=start)
    GoalFactory(care_plan=plan, target="NPRS <= 3")
    GoalFactory(care_plan=plan, target="walk 30 min")
    for day, score in ((-20, 9), (-3, 7), (10, 5), (30, 4)):  # day −20: before the baseline window (§5)
        measured(patient, "nprs", score, dt.datetime.combine(start + dt.timedelta(days=day), dt.time(9), dt.UTC), pt)
    layout = chart(patient_page(client, pt, patient), "chart-scores-nprs")["layout"]
    band, goal = layout["shapes"]
    assert (band["type"], band["y0"], band["y1"]) == ("rect", 7.0, 5.0)  # NPRS: 2 points better = lower
    assert (goal["type"], goal["y0"], goal["y1"]) == ("line", 3.0, 3.0)
    assert [a["text"] for a in layout["annotations"]] == ["important change: 2 points from baseline 7", "goal 3"]


@pytest.mark.parametrize(("code", "baseline", "edge"), [
    ("psfs", 4, 6.0),  # higher is better
    ("odi", 6, 0.0),  # 10 points better would leave the scale: the band stops at 0
    ("phq9", 12, 7.0), ("gad7", 9, 5.0),
])
def test_the_band_goes_the_way_of_improvement_within_the_scale(code, baseline, edge):
    rows = [Assessment(instrument=code, score=baseline, collected_at=INSTANTS[0])]
    [series] = charts.score_series(rows, zone="UTC", plan_start=DAY, targets={})
    [band] = charts.scores([series])[0]["spec"]["layout"]["shapes"]
    assert (band["y0"], band["y1"]) == (float(baseline), edge)


def test_goal_targets_are_read_from_the_free_text():
    assert charts.goal_targets(["walk 30 min", "NPRS <= 3", "nprs < 2", "PHQ-9 < 5", "ODI 20", "PSFS ≥ 7"]) == {
        "nprs": 3.0, "phq9": 5.0, "odi": 20.0, "psfs": 7.0}


def test_an_empty_plan_says_no_data_yet(client, clinic, pt):
    patient = PatientFactory(clinic=clinic, primary_pt=pt)
    CarePlanFactory(patient=patient, lead_pt=pt, status="draft")
    response = patient_page(client, pt, patient)
    text = response.content.decode()
    assert text.count("No data yet") == 2  # adherence and measures
    assert chart(response, "chart-adherence") is None and "chart-scores-" not in text


@pytest.mark.parametrize(("days_after_start", "baseline"), [(-14, 5.0), (0, 5.0), (1, None), (28, None)])
def test_the_chart_baseline_is_the_reports_baseline_or_none(days_after_start, baseline):
    """§5 time points: a first score after the plan's start is no baseline, so no band is drawn from it."""
    at = dt.datetime.combine(DAY + dt.timedelta(days=days_after_start), dt.time(12), dt.UTC)
    [series] = charts.score_series([Assessment(instrument="nprs", score=5, collected_at=at)], zone="UTC",
                                   plan_start=DAY, targets={})
    assert series["baseline"] == baseline
    assert bool(charts.scores([series])[0]["spec"]["layout"]["shapes"]) is (baseline is not None)
