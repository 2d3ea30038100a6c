"""The manager's outcome dashboard reads a stored report (clinical-reference §5): the four views of
each measure side by side with their 95% intervals, segments by name, small cells as "n < 10" and
counts 1–9 as "< 10", and old (version 1) snapshots still readable."""

import html
import json
import re

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.report_snapshots import stored_report, v1_snapshot, v2_snapshot

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    """What the manager reads: the page without markup, scripts or chart data."""
    body = response.content.decode()
    body = re.sub(r"<script.*?</script>", " ", body, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).replace(" ·", "·")


def section(text: str, heading: str, until: str | None = None) -> str:
    start = text.index(heading)
    return text[start:text.index(until, start) if until else None]


def chart(response, chart_id: str) -> dict:
    match = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', response.content.decode(),
                      re.DOTALL)
    return json.loads(match[1])


@pytest.fixture
def dashboard(client, manager):
    client.force_login(manager)
    return lambda report: client.get(reverse("web:dashboard"), {"report": report.pk})


def test_each_measure_shows_every_view_with_its_interval(dashboard, clinic, manager):
    response = dashboard(stored_report(clinic, v2_snapshot(), requested_by=manager))
    assert response.status_code == 200
    text = page_text(response)
    assert "Clinical method version 2" in text
    pain = section(text, "Pain (NPRS)", "Function (ODI)")
    assert "60 plans 50 with baseline 40 included 30 completers" in re.sub(r"[→]", "", pain).replace("  ", " ")
    assert "mean baseline of completers 6.4, of non-completers 7.1" in pain
    assert "Completers (observed) 30 3.2 95% CI 2.5 to 3.9 48.5 95% CI 40.1 to 56.9 70% 95% CI 52 to 83%" in pain
    assert "Last observation carried forward comparable with Bailey 2020" in pain
    assert "2.6 95% CI 1.9 to 3.3" in pain and "68% 95% CI 52 to 80%" in pain
    assert "Non-responders (NRI)" in pain and "52% 95% CI 37 to 67%" in pain
    assert "Model estimate" in pain and "3.0 95% CI 2.4 to 3.7" in pain
    assert "Sensitivity: every plan with any symptom" in pain and "2.9 95% CI 2.2 to 3.6" in pain
    assert "Deteriorated (§3) 5% (95% CI 1 to 21%)" in pain
    assert ("Any symptom, completers: Mean baseline → 12 weeks (completers) 5.9 → 3.0· Median % improvement 47.0 "
            "(95% CI 38.0 to 57.0)· % improvement of the means 49.2· Improved ≥ 30% 57% (95% CI 41 to 71%)· "
            "Improved ≥ 50% 38% (95% CI 24 to 54%)· Deteriorated (§3) 8% (95% CI 3 to 21%)") in pain
    depression = section(text, "Depression (PHQ-9)", "Anxiety (GAD-7)")
    assert "Response (≥ 50% better, baseline ≥ 10) 45% (95% CI 30 to 61%)" in depression
    assert "Remission (PHQ-9 < 5, baseline ≥ 10) 25% (95% CI 14 to 41%)" in depression
    anxiety = section(text, "Anxiety (GAD-7)", "Patient-specific function (PSFS)")
    assert "Model estimate mixed model, all starters, 120 scores 40 not converged" in anxiety
    assert "Much or very much improved (PGIC at 12 weeks): 58% (95% CI 39 to 75%)" in text


def test_segments_are_named_with_their_plans_and_small_cells_are_hidden(dashboard, clinic, manager):
    response = dashboard(stored_report(clinic, v2_snapshot(), requested_by=manager))
    text = page_text(response)
    assert "PT Priya Shah· 52 plans" in text
    assert "PT Tom Reed· < 10 plans" in text and "by PT." in text
    small = section(text, "PT Tom Reed")
    assert "Completers (observed) < 10 n < 10 n < 10 n < 10" in small
    assert "< 10 included < 10 completers" in small
    assert "3.2 95% CI" not in small and "70%" not in small  # the suppressed numbers are not on the page
    assert "PGIC at 12 weeks): n < 10 of < 10 plans" in small
    assert "n < 10" in section(small, "Mean NPRS by plan week", "Mean adherence")  # week 12 over 7 plans
    drawn = [y for series in chart(response, "v2-responders")["data"] for y in series["y"] if y is not None]
    assert drawn == []  # nor in the chart's data
    assert len(chart(response, "v1-responders")["data"]) == 3  # completers, last observation, NRI
    assert chart(response, "v2-pain")["data"][0]["y"][12] is None


def test_a_distribution_over_fewer_than_ten_completers_is_one_small_cell(dashboard, clinic, manager):
    response = dashboard(stored_report(clinic, v2_snapshot(), requested_by=manager))
    text = page_text(response)
    overall = section(text, "Distribution of percent improvement", "PT Priya Shah")
    assert "Pain (NPRS): completers by % improvement 40 to 50 < 10 50 to 60 26" in overall
    small = section(text, "PT Tom Reed")
    distribution = section(small, "Distribution of percent improvement")
    assert "Pain (NPRS): completers by % improvement n < 10" in distribution
    assert "40 to 50" not in distribution and "below to -50" not in distribution  # no bin, empty or not
    assert 'id="v2-dist-pain"' not in response.content.decode()  # nor a chart
    assert 'id="v0-dist-pain"' in response.content.decode()


def test_an_episode_segment_and_coachless_plans_read_as_words(dashboard, clinic, manager):
    snapshot = v2_snapshot(segments=(("chronic", "chronic", 42),))
    text = page_text(dashboard(stored_report(clinic, snapshot, segment_by="episode_type", requested_by=manager)))
    assert "Episode: chronic· 42 plans" in text
    snapshot = v2_snapshot(segments=(("none", "No coach", 12),))
    text = page_text(dashboard(stored_report(clinic, snapshot, segment_by="coach", requested_by=manager)))
    assert "No coach· 12 plans" in text and "Coach No coach" not in text


def test_a_version_1_snapshot_still_reads(dashboard, clinic, manager):
    priya = UserFactory(clinic=clinic, role="pt", first_name="Priya", last_name="Shah")
    snapshot = v1_snapshot()
    snapshot["segments"][0]["segment"] = str(priya.pk)
    response = dashboard(stored_report(clinic, snapshot, requested_by=manager))
    assert response.status_code == 200
    text = page_text(response)
    assert "Clinical method version 1" in text
    assert "PT Priya Shah· 52 plans" in text  # v1 stored the PT's id: the page names them
    pain = section(text, "Pain (NPRS)", "Function (ODI)")
    assert "Completers (observed) 30 3.2 48.5 95% CI 40.1 to 56.9 70%" in pain
    assert "Non-responders (NRI) every included plan; a non-completer counts as not improved 40 — — 52%" in pain
    assert "Model estimate" not in pain and "Patient-specific function" not in text
    small = section(text, "Tom Reed" if "Tom Reed" in text else "PT 23")
    assert "n < 10" in small and "3.2" not in section(small, "Pain (NPRS)", "Function (ODI)")


def test_the_dashboard_reads_a_report_the_code_computes(client, manager, clinic, pt, client_for,
                                                        django_capture_on_commit_callbacks):
    """End to end: whatever the report code stores renders, and exports in both layouts."""
    from tests.outcomes.test_report_api import REQUEST, scored_plan

    for number, (baseline, followup) in enumerate([(8, 3), (7, 4), (6, 2)]):
        import datetime as dt

        scored_plan(clinic, pt, dt.date(2026, 2, 1) + dt.timedelta(days=number), baseline, followup)
    with django_capture_on_commit_callbacks(execute=True):
        report_id = client_for(manager).post("/api/v1/reports/outcomes/", {**REQUEST, "segment_by": "pt"},
                                             format="json").json()["id"]
    client.force_login(manager)
    response = client.get(reverse("web:dashboard"), {"report": report_id})
    assert response.status_code == 200
    text = page_text(response)
    assert "Pain (NPRS)" in text and "Completers (observed) < 10" in text
    assert f"PT {pt}· < 10 plans" in text
    for layout in ("long", "wide"):
        export = client_for(manager).get(f"/api/v1/reports/outcomes/{report_id}/export.csv", {"format": layout})
        assert export.status_code == 200 and export.content.decode().count("\n") >= 2
