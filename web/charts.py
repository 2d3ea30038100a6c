"""Chart specifications for plotly.js (served locally, web/staticfinders.py): plain data in,
{"data", "layout"} out; the page renders each one next to a table of the same numbers."""

from outcomes.instruments import INSTRUMENTS

COLORS = {"nprs": "#b3261e", "odi": "#1d5fa8", "phq9": "#6a3d9a", "gad7": "#1b7a4b", "phq2": "#8e6cbf",
          "gad2": "#4f9d75", "psfs": "#b36b00"}
BASE_LAYOUT = {"margin": {"l": 48, "r": 16, "t": 32, "b": 40}, "height": 280, "font": {"size": 13},
               "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "legend": {"orientation": "h"}}


def _layout(title, **extra):
    return {**BASE_LAYOUT, "title": {"text": title, "font": {"size": 15}}, **extra}


def scores(assessments) -> list[dict]:
    """One small chart per instrument (their scales differ), score over time on the full scale."""
    series = {}
    for assessment in assessments:
        series.setdefault(assessment.instrument, []).append(assessment)
    return [{"id": f"chart-scores-{code}", "label": rows[0].get_instrument_display(), "spec": {
        "data": [{"type": "scatter", "mode": "lines+markers", "name": code.upper(),
                  "x": [a.collected_at.isoformat() for a in rows], "y": [float(a.score) for a in rows],
                  "line": {"color": COLORS.get(code)}}],
        "layout": _layout(rows[0].get_instrument_display(), height=220, showlegend=False,
                          yaxis={"range": [0, float(INSTRUMENTS[code].score_max)]})}}
        for code, rows in series.items()]


def weekly_adherence(weeks) -> dict:
    rows = [w for w in weeks if w.target is not None]
    return {"data": [{"type": "bar", "name": "Adherence", "x": [f"W{w.week}" for w in rows],
                      "y": [round(w.adherence * 100) for w in rows], "marker": {"color": "#1d5fa8"}}],
            "layout": _layout("Weekly adherence (%)", yaxis={"range": [0, 100]})}


def curve(points, *, title, key, y_title, y_range=None) -> dict:
    return {"data": [{"type": "scatter", "mode": "lines+markers", "name": title,
                      "x": [p["week"] for p in points], "y": [p[key] for p in points],
                      "line": {"color": "#1d5fa8"}}],
            "layout": _layout(title, xaxis={"title": {"text": "Plan week"}, "dtick": 1},
                              yaxis={"title": {"text": y_title}, **({"range": y_range} if y_range else {})})}


def responders(results: dict) -> dict:
    """Completers and all included side by side: completer bias in plain sight (§5)."""
    domains = [domain for domain in ("pain", "function", "depression", "anxiety") if domain in results]
    return {"data": [
        {"type": "bar", "name": "Completers", "x": domains,
         "y": [_percent(results[d]["responders_mcid"]) for d in domains], "marker": {"color": "#1d5fa8"}},
        {"type": "bar", "name": "All included", "x": domains,
         "y": [_percent(results[d]["responders_mcid_all_included"]) for d in domains], "marker": {"color": "#9db9dd"}},
    ], "layout": _layout("Reached the minimal important change (%)", barmode="group", yaxis={"range": [0, 100]})}


def distribution(buckets, *, title) -> dict:
    labels = [f"<{b['to']}" if b["from"] is None else f"≥{b['from']}" if b["to"] is None else str(b["from"])
              for b in buckets]
    return {"data": [{"type": "bar", "x": labels, "y": [b["n"] for b in buckets], "marker": {"color": "#1b7a4b"}}],
            "layout": _layout(title, xaxis={"title": {"text": "% improvement (bins of 10 from the value shown)"},
                                            "tickangle": -45}, yaxis={"title": {"text": "patients"}})}


def _percent(share):
    return None if share is None else round(share * 100, 1)


