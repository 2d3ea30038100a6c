"""The 12-week report as CSV (clinical-reference §5), from its stored snapshot.

Long (default): one row per figure, a tidy table for BI tools. `value` holds only numbers (unrounded,
shares as fractions) or nothing; a small cell has an empty `value` and says why in `suppressed`:
"n < 10" for a figure computed over fewer than 10 plans, "< 10" for a count of 1–9.

Wide: one row per segment (the whole cohort first), one column per domain and figure, headed in
words, shares as percentages; small cells read "n < 10" and "< 10" in the cell itself."""

import csv
import io
from collections.abc import Iterator

from outcomes.models import OutcomeReport
from outcomes.snapshot import (
    DOMAIN_LABELS,
    SMALL_COUNT,
    SUPPRESSED,
    distribution_hidden,
    is_small_count,
    method_version,
    segment_label,
    segment_plans,
    suppressed_names,
)

LONG_HEADER = ["report", "as_of", "segment", "section", "domain", "figure", "week", "value", "suppressed"]
_META = {"suppressed", "suppressed_figures"}
# Version 1 named the non-responder share differently; v2 keeps both names (API contract).
_V1_NAMES = {"responders_mcid_nri": "responders_mcid_all_included"}


def _is_count(name: str) -> bool:
    return name.rsplit(".", 1)[-1].startswith(("n_", "model_n_")) or name == "n"


def _cell(name: str, value, suppressed: frozenset[str]) -> tuple[object, str]:
    """(value, why it is empty) of one figure: a small cell keeps its place, not its number."""
    if name in suppressed:
        return "", SUPPRESSED
    if _is_count(name) and is_small_count(value):
        return "", SMALL_COUNT
    return ("" if value is None else value), ""


def _figure_rows(figures: dict, suppressed: frozenset[str], prefix: str = "") -> Iterator[tuple[str, object, str]]:
    """(figure, value, suppressed) per figure; an interval as `<ci95 name>.low` and `.high`."""
    for name, value in figures.items():
        full = f"{prefix}{name}"
        if name in _META or name == "percent_improvement_distribution":
            continue
        if isinstance(value, dict):
            yield from _figure_rows(value, suppressed, f"{full}.")
        elif name.startswith("ci95_"):
            if name == "ci95_mean_percent_improvement" and not prefix:  # the version 1 rows, kept
                yield from _interval_rows(value, full, suppressed, "ci95_low", "ci95_high")
            yield from _interval_rows(value, full, suppressed, f"{full}.low", f"{full}.high")
        else:
            yield (full, *_cell(full, value, suppressed))


def _interval_rows(value, name, suppressed, low_name, high_name):
    for end_name, end in ((low_name, 0), (high_name, 1)):
        yield (end_name, *_cell(name, value[end] if value else None, suppressed))


def _view_rows(view: dict) -> Iterator[tuple]:
    """(section, domain, figure, week, value, suppressed) of the whole cohort or one segment."""
    top = suppressed_names({"suppressed_figures": view.get("suppressed_figures", [])})
    yield ("cohort", "", "n_plans", "", *_cell("n_plans", segment_plans(view), top))
    for domain in (d for d in DOMAIN_LABELS if d in view["results"]):
        figures = view["results"][domain]
        for figure, value, why in _figure_rows(figures, suppressed_names(figures)):
            yield ("outcomes", domain, figure, "", value, why)
        yield from _distribution_rows(domain, figures)
    yield from _adherence_rows(view["adherence"], top)
    for week in view["pain_curve"]:
        hidden = frozenset({"mean_nprs"}) if is_small_count(week["n"]) else frozenset()
        yield ("pain_curve", "pain", "mean_nprs", week["week"], *_cell("mean_nprs", week["mean_nprs"], hidden))
        yield ("pain_curve", "pain", "n", week["week"], *_cell("n", week["n"], hidden))
    if "pgic_improved" in view:
        pgic = {name: view.get(name) for name in ("pgic_improved", "ci95_pgic_improved", "n_pgic")}
        yield from (("pgic", "", figure, "", value, why) for figure, value, why in _figure_rows(pgic, top))


def _distribution_rows(domain: str, figures: dict) -> Iterator[tuple]:
    hidden = distribution_hidden(figures)
    for bucket in figures.get("percent_improvement_distribution", []):
        value, why = ("", SUPPRESSED) if hidden else _cell("n", bucket["n"], frozenset())
        yield ("distribution", domain, f"{bucket['from']}..{bucket['to']}", "", value, why)


def _adherence_rows(adherence: dict, top: frozenset[str]) -> Iterator[tuple]:
    few = is_small_count(adherence["n_plans"])
    for figure in ("mean_plan_adherence", "mean_sessions_per_week", "n_plans"):
        hidden = (few and figure != "n_plans") or figure in top or f"adherence.{figure}" in top
        yield ("adherence", "", figure, "", *_cell(figure, adherence[figure], frozenset({figure} if hidden else ())))
    for week in adherence["weekly"]:
        hidden = frozenset({"mean_adherence"}) if is_small_count(week["n"]) else frozenset()
        yield ("adherence", "", "mean_adherence", week["week"],
               *_cell("mean_adherence", week["mean_adherence"], hidden))


def _views(report: OutcomeReport) -> list[tuple[str, str, dict]]:
    """(segment key, label, figures): the whole cohort first."""
    snapshot = report.results
    return [("all", "All patients", snapshot)] + [
        (str(s["segment"]), segment_label(report.segment_by, s), s) for s in snapshot.get("segments", [])]


def report_csv_long(report: OutcomeReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(LONG_HEADER)
    version = method_version(report.results)
    writer.writerow([report.pk, report.as_of, "all", "cohort", "", "method_version", "", version, ""])
    for key, _, view in _views(report):
        writer.writerows([report.pk, report.as_of, key, *row] for row in _view_rows(view))
    return out.getvalue()


# --- wide --------------------------------------------------------------------------------------

COUNT, SHARE, NUMBER, TEXT = "count", "share", "number", "text"
# (figure, heading, kind, with its interval); a column appears when the report has the figure.
WIDE_FIGURES = [
    ("n_plans", "plans", COUNT, False), ("n_with_baseline", "with baseline", COUNT, False),
    ("n_included", "included", COUNT, False), ("n_completers", "completers", COUNT, False),
    ("completion_rate", "completed (%)", SHARE, True),
    ("mean_baseline_completers", "mean baseline, completers", NUMBER, False),
    ("mean_baseline_non_completers", "mean baseline, non-completers", NUMBER, False),
    ("mean_baseline", "completers: mean baseline", NUMBER, False),
    ("mean_followup", "completers: mean at 12 weeks", NUMBER, False),
    ("mean_improvement", "completers: mean improvement", NUMBER, True),
    ("mean_percent_improvement", "completers: mean % improvement", NUMBER, True),
    ("median_percent_improvement", "completers: median % improvement", NUMBER, True),
    ("percent_improvement_of_means", "completers: % improvement of the means", NUMBER, False),
    ("responders_mcid", "completers: reached the minimal important change (%)", SHARE, True),
    ("responders_30", "completers: improved ≥ 30% (%)", SHARE, True),
    ("responders_50", "completers: improved ≥ 50% (%)", SHARE, True),
    ("deteriorated", "completers: deteriorated (%)", SHARE, True),
    ("response", "completers: response (%)", SHARE, True),
    ("remission", "completers: remission (%)", SHARE, True),
    ("n_response_base", "completers with baseline ≥ 10", COUNT, False),
    ("responders_mcid_nri", "non-responders imputed: reached the minimal important change (%)", SHARE, True),
    ("mean_improvement_locf", "last observation: mean improvement", NUMBER, True),
    ("mean_percent_improvement_locf", "last observation: mean % improvement", NUMBER, True),
    ("responders_mcid_locf", "last observation: reached the minimal important change (%)", SHARE, True),
    ("model_mean_change", "model: mean improvement", NUMBER, True),
    ("model_status", "model: status", TEXT, False),
    ("model_n_plans", "model: plans", COUNT, False), ("model_n_scores", "model: scores", COUNT, False),
    ("sensitivity.n_completers", "any symptom: completers", COUNT, False),
    ("sensitivity.mean_baseline", "any symptom: mean baseline", NUMBER, False),
    ("sensitivity.mean_followup", "any symptom: mean at 12 weeks", NUMBER, False),
    ("sensitivity.mean_improvement", "any symptom: mean improvement", NUMBER, True),
    ("sensitivity.mean_percent_improvement", "any symptom: mean % improvement", NUMBER, True),
    ("sensitivity.median_percent_improvement", "any symptom: median % improvement", NUMBER, True),
    ("sensitivity.percent_improvement_of_means", "any symptom: % improvement of the means", NUMBER, False),
    ("sensitivity.responders_mcid", "any symptom: reached the minimal important change (%)", SHARE, True),
    ("sensitivity.responders_30", "any symptom: improved ≥ 30% (%)", SHARE, True),
    ("sensitivity.responders_50", "any symptom: improved ≥ 50% (%)", SHARE, True),
    ("sensitivity.deteriorated", "any symptom: deteriorated (%)", SHARE, True),
]
VIEW_FIGURES = [
    ("pgic_improved", "PGIC much or very much improved (%)", SHARE, True),
    ("n_pgic", "plans with a PGIC", COUNT, False),
    ("adherence.mean_plan_adherence", "mean adherence (%)", SHARE, False),
    ("adherence.mean_sessions_per_week", "sessions a week", NUMBER, False),
]


def _lookup(figures: dict, name: str):
    """A figure by dotted name; a version 1 snapshot by its version 1 name."""
    *groups, last = name.split(".")
    for group in groups:
        figures = figures.get(group) or {}
    return figures.get(last, figures.get(_V1_NAMES.get(last, "")))


def _present(figures: dict, name: str) -> bool:
    *groups, last = name.split(".")
    for group in groups:
        figures = figures.get(group) or {}
    return last in figures or _V1_NAMES.get(last) in figures


def _wide_text(value, kind: str, hidden: bool) -> object:
    if hidden:
        return SUPPRESSED
    if value is None:
        return ""
    if kind == COUNT:
        return SMALL_COUNT if is_small_count(value) else value
    if kind == SHARE:
        return round(value * 100, 1)
    return round(value, 2) if kind == NUMBER else value


def _wide_cells(figures: dict, suppressed: frozenset[str], spec) -> list:
    name, _, kind, with_interval = spec
    hidden = name in suppressed or _V1_NAMES.get(name) in suppressed
    cells = [_wide_text(_lookup(figures, name), kind, hidden)]
    if with_interval:
        group, _, last = name.rpartition(".")
        ci_name = f"{group}.ci95_{last}" if group else f"ci95_{last}"
        ci = _lookup(figures, ci_name)
        ci_hidden = hidden or ci_name in suppressed
        cells += [_wide_text(ci[end] if ci else None, kind, ci_hidden) for end in (0, 1)]
    return cells


def _wide_headings(prefix: str, spec) -> list[str]:
    _, heading, _, with_interval = spec
    return [f"{prefix}{heading}"] + ([f"{prefix}{heading}, 95% CI low", f"{prefix}{heading}, 95% CI high"]
                                     if with_interval else [])


def _view_suppressed(view: dict) -> frozenset[str]:
    """The view's own small cells; its adherence figures are over `adherence.n_plans` plans."""
    listed = suppressed_names({"suppressed_figures": view.get("suppressed_figures", [])})
    if is_small_count((view.get("adherence") or {}).get("n_plans")):
        listed |= {"adherence.mean_plan_adherence", "adherence.mean_sessions_per_week"}
    return listed


def _wide_columns(snapshot: dict) -> list[tuple[str | None, tuple]]:
    """(domain or None for the view, figure spec), for the figures the whole cohort has."""
    columns = [(None, spec) for spec in VIEW_FIGURES if _present(snapshot, spec[0])]
    for domain in (d for d in DOMAIN_LABELS if d in snapshot["results"]):
        columns += [(domain, spec) for spec in WIDE_FIGURES if _present(snapshot["results"][domain], spec[0])]
    return columns


def report_csv_wide(report: OutcomeReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    columns = _wide_columns(report.results)
    writer.writerow(["Segment", "Plans"] + [
        heading for domain, spec in columns
        for heading in _wide_headings(f"{DOMAIN_LABELS[domain]} · " if domain else "", spec)])
    for _, label, view in _views(report):
        top = _view_suppressed(view)
        row = [label, _wide_text(segment_plans(view), COUNT, False)]
        for domain, spec in columns:
            figures = view["results"].get(domain, {}) if domain else view
            row += _wide_cells(figures, suppressed_names(figures) if domain else top, spec)
        writer.writerow(row)
    return out.getvalue()
