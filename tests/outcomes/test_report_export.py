"""The report's CSV export (clinical-reference §5): the tidy long table with every v2 figure and its
interval ends, small cells kept in place but emptied, and the wide table a manager opens in a
spreadsheet. Both layouts are chosen with `?format=` and documented in the schema."""

import csv
import io

import pytest

from tests.report_snapshots import stored_report, v1_snapshot, v2_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def export(client_for, manager, clinic):
    report = stored_report(clinic, v2_snapshot(), requested_by=manager)

    def get(layout=None, report=report, user=manager):
        return client_for(user).get(f"/api/v1/reports/outcomes/{report.pk}/export.csv",
                                    {"format": layout} if layout else {})

    return get


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_long_table_has_every_figure_and_interval_end(export):
    response = export()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    table = {(r["segment"], r["domain"], r["figure"]): r for r in rows(response)}
    assert table[("all", "pain", "ci95_mean_improvement.low")]["value"] == "2.46"  # stored, unrounded
    assert table[("all", "pain", "ci95_mean_improvement.high")]["value"] == "3.94"
    assert table[("all", "pain", "ci95_low")]["value"] == "40.1"  # the version 1 rows stay
    assert table[("all", "pain", "sensitivity.ci95_mean_improvement.low")]["value"] == "2.2"
    assert table[("all", "pain", "sensitivity.ci95_median_percent_improvement.high")]["value"] == "57.0"
    assert table[("all", "pain", "sensitivity.responders_30")]["value"] == "0.57"
    assert table[("all", "pain", "sensitivity.ci95_deteriorated.low")]["value"] == "0.03"
    assert table[("all", "anxiety", "model_status")]["value"] == "not converged"
    assert table[("all", "anxiety", "model_mean_change")]["value"] == ""
    assert table[("all", "", "pgic_improved")]["value"] == "0.58"
    assert table[("all", "", "method_version")]["value"] == "2"
    assert {r["suppressed"] for r in table.values() if r["segment"] == "all" and r["section"] == "outcomes"} == {""}


def test_small_cells_are_empty_and_say_why(export):
    table = {(r["segment"], r["section"], r["domain"], r["figure"], r["week"]): r for r in rows(export())}
    small = {key: row for key, row in table.items() if key[0] == "23"}  # 8 plans
    mean = small[("23", "outcomes", "pain", "mean_improvement", "")]
    assert (mean["value"], mean["suppressed"]) == ("", "n < 10")
    assert small[("23", "outcomes", "pain", "ci95_mean_improvement.low", "")]["suppressed"] == "n < 10"
    assert small[("23", "outcomes", "pain", "n_completers", "")]["suppressed"] == "< 10"
    assert small[("23", "cohort", "", "n_plans", "")]["value"] == ""
    assert small[("23", "pgic", "", "pgic_improved", "")]["suppressed"] == "n < 10"
    assert small[("23", "pain_curve", "pain", "mean_nprs", "12")]["suppressed"] == "n < 10"
    assert table[("all", "distribution", "pain", "None..-50", "")]["value"] == "0"
    assert table[("all", "distribution", "pain", "40..50", "")]["suppressed"] == "< 10"
    # §5: over fewer than 10 completers the whole distribution is one small cell, empty bins too
    bins = [row for key, row in small.items() if key[1:3] == ("distribution", "pain")]
    assert len(bins) == 3 and {(row["value"], row["suppressed"]) for row in bins} == {("", "n < 10")}
    assert all(row["value"] == "" for row in small.values() if row["suppressed"])


def test_the_wide_table_has_one_row_per_segment_in_words(export):
    response = export("wide")
    assert response.status_code == 200 and "wide" in response["Content-Disposition"]
    table = rows(response)
    assert [r["Segment"] for r in table] == ["All patients", "PT Priya Shah", "PT Tom Reed"]
    overall, _, small = table
    assert overall["Plans"] == "60" and small["Plans"] == "< 10"
    assert overall["Pain (NPRS) · completers: mean improvement"] == "3.2"
    assert overall["Pain (NPRS) · completers: mean improvement, 95% CI low"] == "2.46"
    assert overall["Pain (NPRS) · completers: reached the minimal important change (%)"] == "70.0"
    assert overall["Pain (NPRS) · last observation: reached the minimal important change (%), 95% CI high"] == "80.0"
    assert overall["Anxiety (GAD-7) · model: status"] == "not converged"
    assert overall["Depression (PHQ-9) · completers: remission (%)"] == "25.0"
    assert "Pain (NPRS) · completers: remission (%)" not in overall
    assert overall["PGIC much or very much improved (%)"] == "58.0"
    assert overall["Pain (NPRS) · any symptom: median % improvement, 95% CI low"] == "38.0"
    assert overall["Pain (NPRS) · any symptom: improved ≥ 50% (%)"] == "38.0"
    assert overall["Pain (NPRS) · any symptom: deteriorated (%), 95% CI high"] == "21.0"
    assert overall["Pain (NPRS) · any symptom: % improvement of the means"] == "49.2"
    assert small["Pain (NPRS) · completers: mean improvement"] == "n < 10"
    assert small["Pain (NPRS) · completers"] == "< 10"
    assert small["PGIC much or very much improved (%), 95% CI low"] == "n < 10"


def test_a_version_1_report_exports_in_both_layouts(export, clinic, manager):
    old = stored_report(clinic, v1_snapshot(), requested_by=manager)
    long = rows(export(report=old))
    assert {"figure": "method_version", "value": "1"}.items() <= next(
        r for r in long if r["figure"] == "method_version").items()
    wide = rows(export("wide", report=old))
    assert wide[0]["Pain (NPRS) · non-responders imputed: reached the minimal important change (%)"] == "52.5"


def test_an_unknown_format_is_refused_with_a_field_error(export, outsider_pt):
    response = export("xlsx")
    assert response.status_code == 400 and "format" in response.json()
    assert export("xlsx", user=outsider_pt).status_code == 404


def test_the_schema_documents_both_layouts():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/reports/outcomes/{id}/export.csv"]["get"]
    format_param = next(p for p in operation["parameters"] if p["name"] == "format")
    assert format_param["in"] == "query" and format_param["schema"]["enum"] == ["long", "wide"]
    assert "format=wide" in operation["responses"]["200"]["description"]
    assert "400" in operation["responses"]
