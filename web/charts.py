"""Chart specifications for plotly.js (served locally, web/staticfinders.py): plain data in,
{"data", "layout"} out; the page renders each one next to a table of the same numbers."""

import datetime as dt
import math
import re
from zoneinfo import ZoneInfo

from careplans.schedule import TIME_POINTS
from core.bounds import is_suspect
from outcomes.instruments import INSTRUMENTS
from outcomes.report import DOMAINS
from outcomes.snapshot import is_small_count

COLORS = {"nprs": "#b3261e", "odi": "#1d5fa8", "phq9": "#6a3d9a", "gad7": "#1b7a4b", "phq2": "#8e6cbf",
          "gad2": "#4f9d75", "psfs": "#b36b00"}
BASE_LAYOUT = {"margin": {"l": 48, "r": 16, "t": 32, "b": 40}, "height": 280, "font": {"size": 13},
               "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "legend": {"orientation": "h"}}


def _layout(title, **extra):
    return {**BASE_LAYOUT, "title": {"text": title, "font": {"size": 15}}, **extra}


# clinical-reference §3: the minimal important change in points, and which way is better (the report's).
MCID_POINTS = {domain.instrument: float(domain.mcid) for domain in DOMAINS}
HIGHER_IS_BETTER = {domain.instrument for domain in DOMAINS if domain.higher_is_better}
DAY_MS = 86_400_000


GOAL_TARGET = re.compile(r"^\s*(nprs|odi|phq-?9|gad-?7|psfs)\s*(?:<=|≤|<|>=|≥|>|=|:)?\s*(\d+(?:\.\d+)?)\b",
                         re.IGNORECASE)


def goal_targets(targets: list[str]) -> dict[str, float]:
    """Goals are free text ("NPRS <= 3", "walk 30 min"): a target that names an instrument and a
    number is drawn on that instrument's chart; the first such goal wins."""
    found = {}
    for target in targets:
        if match := GOAL_TARGET.match(target):
            found.setdefault(match[1].lower().replace("-", ""), float(match[2]))
    return found


def score_series(assessments, *, zone: str, plan_start: dt.date | None, targets: dict[str, float]) -> list[dict]:
    """Per instrument, the scores by the patient's local date (as the reassessment windows count
    days, clinical-reference §5), its baseline and its goal's target. `assessments` in time order; one
    with a suspect time (core.bounds) has no local day and is left to the table, which marks it."""
    by_code = {}
    for assessment in (a for a in assessments if not is_suspect(a.collected_at)):
        by_code.setdefault(assessment.instrument, []).append(assessment)
    where = ZoneInfo(zone)
    if plan_start is not None and is_suspect(plan_start, "start_date"):
        plan_start = None  # a suspect start (core.bounds) has no baseline window
    series = []
    for code, rows in by_code.items():
        dates = [a.collected_at.astimezone(where).date() for a in rows]
        series.append({"code": code, "label": rows[0].get_instrument_display(),
                       "dates": [d.isoformat() for d in dates], "scores": [float(a.score) for a in rows],
                       "baseline": _baseline(dates, [float(a.score) for a in rows], plan_start),
                       "target": targets.get(code)})
    return series


def _baseline(dates: list[dt.date], values: list[float], plan_start: dt.date | None) -> float | None:
    """The plan's baseline as the report reads it (§5 time points: the last score of the baseline
    window, none outside it); with no plan, the first score ever."""
    if plan_start is None:
        return values[0] if values else None
    low, high = (plan_start + dt.timedelta(days=days) for days in TIME_POINTS[0][1])
    in_window = [v for d, v in zip(dates, values, strict=True) if low <= d <= high]
    return in_window[-1] if in_window else None


def scores(series: list[dict]) -> list[dict]:
    """One small chart per instrument (their scales differ), score over the patient's local dates on
    the full scale, with the band of the minimal important change from the baseline and the goal's
    target. `series`: {"code", "label", "dates", "scores", "baseline", "target"} per instrument."""
    return [{"id": f"chart-scores-{one['code']}", "label": one["label"], "spec": _score_chart(one)} for one in series]


def _score_chart(one: dict) -> dict:
    code, top = one["code"], float(INSTRUMENTS[one["code"]].score_max)
    shapes, annotations = [], []
    if one["baseline"] is not None and code in MCID_POINTS:
        shapes, annotations = _mcid_band(code, float(one["baseline"]), top)
    if one["target"] is not None:
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": one["target"],
                       "y1": one["target"], "line": {"color": "#1b7a4b", "dash": "dash", "width": 2}})
        annotations.append({"xref": "paper", "x": 1, "xanchor": "right", "yref": "y", "y": one["target"],
                            "yanchor": "bottom", "text": f"goal {one['target']:g}", "showarrow": False,
                            "font": {"color": "#1b7a4b", "size": 11}})
    return {"data": [{"type": "scatter", "mode": "lines+markers", "name": code.upper(), "x": one["dates"],
                      "y": one["scores"], "line": {"color": COLORS.get(code)},
                      "hovertemplate": "%{x|%b %-d, %Y}: %{y}<extra></extra>"}],
            "layout": _layout(one["label"], height=220, showlegend=False, shapes=shapes, annotations=annotations,
                              xaxis=_date_axis(one["dates"]), yaxis={"range": [0, top]})}


def _mcid_band(code: str, baseline: float, top: float) -> tuple[list, list]:
    """From the baseline to one minimal important change better (§3): a score past the band's far
    edge is an important improvement."""
    step = MCID_POINTS[code] if code in HIGHER_IS_BETTER else -MCID_POINTS[code]
    edge = min(max(baseline + step, 0.0), top)
    band = {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": baseline, "y1": edge,
            "fillcolor": "rgba(29,95,168,0.12)", "line": {"width": 0}, "layer": "below"}
    label = {"xref": "paper", "x": 0, "xanchor": "left", "yref": "y", "y": edge,
             "yanchor": "top" if step < 0 else "bottom", "showarrow": False, "font": {"size": 11, "color": "#154a84"},
             "text": f"important change: {MCID_POINTS[code]:g} points from baseline {baseline:g}"}
    return [band], [label]


def _date_axis(dates: list[str]) -> dict:
    """Whole local days: a tick every few days, never hours or milliseconds."""
    first, last = dt.date.fromisoformat(dates[0]), dt.date.fromisoformat(dates[-1])
    span = (last - first).days
    pad = dt.timedelta(days=max(1, span // 20))
    return {"type": "date", "range": [(first - pad).isoformat(), (last + pad).isoformat()],
            "tickformat": "%b %-d", "dtick": DAY_MS * max(1, math.ceil((span + 2) / 6)), "tick0": first.isoformat()}


def weekly_adherence(weeks) -> dict | None:
    """None when no week has a target yet: the page says so instead of drawing an empty axis."""
    rows = [w for w in weeks if w.target is not None]
    if not rows:
        return None
    return {"data": [{"type": "bar", "name": "Adherence", "x": [f"W{w.week}" for w in rows],
                      "y": [round(w.adherence * 100) for w in rows], "marker": {"color": "#1d5fa8"}}],
            "layout": _layout("Weekly adherence (%)", yaxis={"range": [0, 100]})}


def curve(points, *, title, key, y_title, y_range=None) -> dict:
    return {"data": [{"type": "scatter", "mode": "lines+markers", "name": title,
                      "x": [p["week"] for p in points], "y": [p[key] for p in points],
                      "line": {"color": "#1d5fa8"}}],
            "layout": _layout(title, xaxis={"title": {"text": "Plan week"}, "dtick": 1},
                              yaxis={"title": {"text": y_title}, **({"range": y_range} if y_range else {})})}


RESPONDER_SERIES = {"Completers": "#1d5fa8", "Last observation": "#5b8fd0", "Non-responders (NRI)": "#9db9dd"}


def responders(bars: list[dict]) -> dict:
    """Completers, last observation and non-responders side by side: completer bias in plain sight
    (§5). `bars`: {"label", and a share or None per series}; a small cell is None, not drawn."""
    return {"data": [{"type": "bar", "name": name, "x": [b["label"] for b in bars],
                      "y": [_percent(b.get(name)) for b in bars], "marker": {"color": color}}
                     for name, color in RESPONDER_SERIES.items() if any(b.get(name) is not None for b in bars)],
            "layout": _layout("Reached the minimal important change (%)", barmode="group", yaxis={"range": [0, 100]})}


def distribution(buckets, *, title) -> dict:
    """Completers per 10% bin; a bin of 1–9 patients is a small cell (§5): not drawn, "< 10" in the table."""
    labels = [f"<{b['to']}" if b["from"] is None else f"≥{b['from']}" if b["to"] is None else str(b["from"])
              for b in buckets]
    return {"data": [{"type": "bar", "x": labels, "y": [None if is_small_count(b["n"]) else b["n"] for b in buckets],
                      "marker": {"color": "#1b7a4b"}}],
            "layout": _layout(title, xaxis={"title": {"text": "% improvement (bins of 10 from the value shown)"},
                                            "tickangle": -45, "type": "category"},
                              yaxis={"title": {"text": "patients"}})}


def _percent(share):
    return None if share is None else round(share * 100, 1)


