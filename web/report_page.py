"""The dashboard's reading of a stored 12-week report (clinical-reference §5): every figure as the
manager reads it, with its 95% interval, small cells as "n < 10" and counts 1–9 as "< 10"."""

from outcomes.snapshot import (
    DOMAIN_LABELS,
    SUPPRESSED,
    count_text,
    distribution_hidden,
    is_small_count,
    method_version,
    segment_label,
    segment_plans,
    suppressed_names,
)
from web import charts


def number(value, digits=1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def percent(share) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _interval(low, high, fmt) -> str:
    text_low, text_high = fmt(low), fmt(high)
    if fmt is percent:  # "48 to 74%": one percent sign reads better
        text_low = text_low.removesuffix("%")
    return f"95% CI {text_low} to {text_high}"


NONE = {"value": "—", "ci": ""}
CHART_LABELS = {"pain": "Pain", "function": "Function", "depression": "Depression", "anxiety": "Anxiety",
                "psfs": "PSFS"}


class Figures:
    """One domain's (or view's) figures; `prefix` reads a nested group such as the sensitivity line."""

    def __init__(self, values: dict | None, suppressed: frozenset[str], prefix: str = ""):
        self.values, self.suppressed, self.prefix = values or {}, suppressed, prefix

    def nested(self, name: str) -> "Figures":
        return Figures(self.values.get(name), self.suppressed, f"{self.prefix}{name}.")

    def hidden(self, name: str) -> bool:
        return f"{self.prefix}{name}" in self.suppressed

    def get(self, name: str):
        return None if self.hidden(name) else self.values.get(name)

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None or self.hidden(name)

    def cell(self, name: str, fmt=number) -> dict:
        """{"value": "3.1", "ci": "95% CI 2.4 to 3.8"}; a small cell {"value": "n < 10", "ci": ""}."""
        if self.hidden(name):
            return {"value": SUPPRESSED, "ci": ""}
        value = self.values.get(name)
        ci = self.get(f"ci95_{name}") if value is not None else None
        return {"value": fmt(value), "ci": _interval(ci[0], ci[1], fmt) if ci else ""}

    def text(self, name: str, fmt=number) -> str:
        """"3.1 (95% CI 2.4 to 3.8)", "62% (95% CI 48 to 74%)", "n < 10" or "—"."""
        cell = self.cell(name, fmt)
        return f"{cell['value']} ({cell['ci']})" if cell["ci"] else cell["value"]

    def count(self, name: str) -> str:
        return count_text(self.values.get(name))


def _nri_name(values: dict) -> str:
    """Version 1 named the non-responder share `responders_mcid_all_included` (kept in v2 too)."""
    return "responders_mcid_nri" if "responders_mcid_nri" in values else "responders_mcid_all_included"


def _model_cell(figures: Figures) -> dict:
    status = figures.values.get("model_status", "converged")
    return figures.cell("model_mean_change") if status == "converged" else {"value": status, "ci": ""}


def _views_rows(figures: Figures) -> list[dict]:
    """Completers, last observation, non-responders, model: side by side, completer bias in sight (§5)."""
    rows = [{"view": "Completers (observed)", "n": figures.count("n_completers"),
             "improvement": figures.cell("mean_improvement"),
             "percent": figures.cell("mean_percent_improvement"),
             "responders": figures.cell("responders_mcid", percent)}]
    if figures.has("responders_mcid_locf") or "mean_improvement_locf" in figures.values:
        rows.append({"view": "Last observation carried forward", "note": "comparable with Bailey 2020",
                     "n": figures.count("n_included"), "improvement": figures.cell("mean_improvement_locf"),
                     "percent": figures.cell("mean_percent_improvement_locf"),
                     "responders": figures.cell("responders_mcid_locf", percent)})
    rows.append({"view": "Non-responders (NRI)", "note": "every included plan; a non-completer counts as not improved",
                 "n": figures.count("n_included"), "improvement": NONE, "percent": NONE,
                 "responders": figures.cell(_nri_name(figures.values), percent)})
    if "model_status" in figures.values:
        scores = figures.count("model_n_scores")
        rows.append({"view": "Model estimate", "note": f"mixed model, all starters, {scores} scores",
                     "n": figures.count("model_n_plans"), "improvement": _model_cell(figures), "percent": NONE,
                     "responders": NONE})
    if figures.values.get("sensitivity"):
        sensitivity = figures.nested("sensitivity")
        rows.append({"view": "Sensitivity: every plan with any symptom", "note": "completers, no baseline floor",
                     "n": sensitivity.count("n_completers"), "improvement": sensitivity.cell("mean_improvement"),
                     "percent": sensitivity.cell("mean_percent_improvement"),
                     "responders": sensitivity.cell("responders_mcid", percent)})
    return [{**row, "cells": [row["improvement"], row["percent"], row["responders"]]} for row in rows]


def _details(figures: Figures) -> list[tuple[str, str]]:
    """The completers' other figures, each only where the domain has it (§3, §5)."""
    lines = [("Mean baseline → 12 weeks (completers)",
              f"{figures.text('mean_baseline')} → {figures.text('mean_followup')}"),
             ("Median % improvement", figures.text("median_percent_improvement")),
             ("% improvement of the means", figures.text("percent_improvement_of_means"))]
    lines += [(label, figures.text(name, percent)) for label, name in [
        ("Improved ≥ 30%", "responders_30"), ("Improved ≥ 50%", "responders_50"),
        ("Deteriorated (§3)", "deteriorated"), ("Response (≥ 50% better, baseline ≥ 10)", "response"),
        ("Remission (PHQ-9 < 5, baseline ≥ 10)", "remission")] if figures.has(name)]
    if "n_response_base" in figures.values:
        lines.append(("Completers with PHQ-9 baseline ≥ 10", figures.count("n_response_base")))
    return [(label, text) for label, text in lines if text not in ("—", "— → —")]


def _sensitivity_line(figures: Figures) -> str:
    """§5: the sensitivity line's other completer figures, compact ("label text · label text")."""
    if not figures.values.get("sensitivity"):
        return ""
    return " · ".join(f"{label} {text}" for label, text in _details(figures.nested("sensitivity")))


def _flow(figures: Figures, n_plans) -> dict:
    steps = [("plans", figures.values.get("n_plans", n_plans)),
             ("with baseline", figures.values.get("n_with_baseline")),
             ("included", figures.values.get("n_included")), ("completers", figures.values.get("n_completers"))]
    return {"steps": [{"label": label, "n": count_text(n)} for label, n in steps if n is not None],
            "completion": figures.text("completion_rate", percent),
            "baseline_completers": figures.text("mean_baseline_completers"),
            "baseline_non_completers": figures.text("mean_baseline_non_completers"),
            "has_baselines": "mean_baseline_completers" in figures.values}


def _domain(key: str, values: dict, n_plans, chart_id: str) -> dict:
    figures = Figures(values, suppressed_names(values))
    hidden = distribution_hidden(values)  # §5: not a bin of it, nor a chart
    distribution = [] if hidden else [{**bucket, "text": count_text(bucket["n"])}
                                      for bucket in values.get("percent_improvement_distribution", [])]
    return {"key": key, "label": DOMAIN_LABELS.get(key, key), "flow": _flow(figures, n_plans),
            "rows": _views_rows(figures), "details": _details(figures), "sensitivity": _sensitivity_line(figures),
            "distribution": distribution,
            "distribution_hidden": hidden and bool(values.get("percent_improvement_distribution")),
            "chart": {"id": chart_id, "spec": charts.distribution(distribution, title=DOMAIN_LABELS.get(key, key))}
            if distribution else None}


def _curve(points: list[dict], key: str) -> list[dict]:
    """Each week's mean over fewer than 10 plans is a small cell too: shown as "n < 10", not drawn."""
    return [{**p, "value": None if is_small_count(p["n"]) else p[key], "n_text": count_text(p["n"]),
             "hidden": is_small_count(p["n"])} for p in points]


def _adherence(adherence: dict, suppressed: frozenset[str]) -> dict:
    hidden = is_small_count(adherence.get("n_plans"))
    figures = Figures(adherence, frozenset(
        name for name in ("mean_plan_adherence", "mean_sessions_per_week")
        if hidden or name in suppressed or f"adherence.{name}" in suppressed))
    return {"mean": figures.text("mean_plan_adherence", percent), "sessions": figures.text("mean_sessions_per_week"),
            "n": count_text(adherence.get("n_plans")),
            "weekly": _curve([{**w, "mean": None if w["mean_adherence"] is None else w["mean_adherence"] * 100}
                              for w in adherence.get("weekly", [])], "mean")}


def _responder_bars(label: str, values: dict) -> dict:
    figures = Figures(values, suppressed_names(values))
    return {"label": label, "Completers": figures.get("responders_mcid"),
            "Last observation": figures.get("responders_mcid_locf"),
            "Non-responders (NRI)": figures.get(_nri_name(values))}


def _view(number_: int, name: str, snapshot_part: dict) -> dict:
    suppressed = suppressed_names({"suppressed_figures": snapshot_part.get("suppressed_figures", [])})
    n_plans = segment_plans(snapshot_part)
    results = snapshot_part.get("results", {})
    domains = [_domain(key, results[key], n_plans, f"v{number_}-dist-{key}") for key in DOMAIN_LABELS if key in results]
    pain_curve = _curve(snapshot_part.get("pain_curve", []), "mean_nprs")
    adherence = _adherence(snapshot_part.get("adherence", {}), suppressed)
    view_figures = Figures(snapshot_part, suppressed)
    return {"name": name, "n_plans": count_text(n_plans), "domains": domains, "pain_curve": pain_curve,
            "adherence": adherence,
            "pgic": {"text": view_figures.text("pgic_improved", percent), "n": view_figures.count("n_pgic")}
            if "pgic_improved" in snapshot_part else None,
            "charts": {
                "responders": {"id": f"v{number_}-responders", "spec": charts.responders(
                    [_responder_bars(CHART_LABELS.get(d["key"], d["key"]), results[d["key"]]) for d in domains])},
                "pain": {"id": f"v{number_}-pain", "spec": charts.curve(
                    [{"week": p["week"], "value": p["value"]} for p in pain_curve],
                    title="Mean pain (NPRS) by plan week",
                    key="value", y_title="NPRS", y_range=[0, 10])},
                "adherence": {"id": f"v{number_}-adherence", "spec": charts.curve(
                    [{"week": w["week"], "value": w["value"]} for w in adherence["weekly"]],
                    title="Mean weekly adherence (%)", key="value", y_title="%", y_range=[0, 100])},
            }}


def report_views(snapshot: dict, segment_by: str, staff_names: dict[str, str]) -> dict:
    """The whole cohort, then each segment by name with its number of plans."""
    views = [_view(0, "All patients", snapshot)] + [
        _view(number_, segment_label(segment_by, segment, staff_names), segment)
        for number_, segment in enumerate(snapshot.get("segments", []), start=1)]
    return {"method_version": method_version(snapshot), "views": views}
