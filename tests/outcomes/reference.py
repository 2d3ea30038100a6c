"""An independent, plain-Python reading of clinical-reference §5, written from the text, to check
the SQL report against. Slow and obvious on purpose."""

import datetime as dt
import math
import statistics
from zoneinfo import ZoneInfo

from scipy import stats

from tests.exercises import reference as adherence_reference

DOMAINS = {  # domain: (instrument, included(baseline), MCID points)
    "pain": ("nprs", lambda b: b > 0, 2),
    "function": ("odi", lambda b: b > 0, 10),
    "depression": ("phq9", lambda b: b >= 5, 5),
    "anxiety": ("gad7", lambda b: b >= 5, 4),
}
EDGES = list(range(-100, 101, 10))


def local_date(at: dt.datetime, tz: str) -> dt.date:
    return at.astimezone(ZoneInfo(tz)).date()


def pick(assessments, plan, instrument, low, high, target):
    """Nearest to S + target within [S + low, S + high] (local dates); on a tie, the earlier."""
    start = plan["start"]
    found = []
    for a in assessments:
        if a["patient"] != plan["patient"] or a["instrument"] != instrument or a["superseded"]:
            continue
        day = local_date(a["collected_at"], plan["tz"])
        offset = (day - start).days
        if low <= offset <= high:
            found.append((abs(offset - target), a["collected_at"], a["score"]))
    return min(found)[2] if found else None


def cohort(plans, *, start_from, start_to, as_of, clinic=None):
    return [p for p in plans if p["activated"] and start_from <= p["start"] <= start_to
            and p["start"] + dt.timedelta(days=98) <= as_of and (clinic is None or p["clinic"] == clinic)]


def domain_figures(plans, assessments, domain):
    instrument, is_included, mcid = DOMAINS[domain]
    included, completers = [], []
    for plan in plans:
        baseline = pick(assessments, plan, instrument, -14, 7, 0)
        if baseline is None or not is_included(baseline):
            continue
        included.append(plan)
        followup = pick(assessments, plan, instrument, 70, 98, 84)
        if followup is not None:
            completers.append((baseline, followup))
    n = len(completers)
    pcts = [float((b - f) / b * 100) for b, f in completers]
    mean = lambda values: sum(values) / len(values) if values else None  # noqa: E731
    mean_b = mean([float(b) for b, _ in completers])
    mean_f = mean([float(f) for _, f in completers])
    ci = None
    if n >= 2:
        half = stats.t.ppf(0.975, n - 1) * statistics.stdev(pcts) / math.sqrt(n)
        ci = [mean(pcts) - half, mean(pcts) + half]
    responders = sum(1 for b, f in completers if b - f >= mcid)
    figures = {
        "n_included": len(included), "n_completers": n,
        "completion_rate": n / len(included) if included else None,
        "mean_baseline": mean_b, "mean_followup": mean_f,
        "mean_improvement": mean([float(b - f) for b, f in completers]),
        "mean_percent_improvement": mean(pcts),
        "percent_improvement_of_means": (mean_b - mean_f) / mean_b * 100 if mean_b else None,
        "median_percent_improvement": statistics.median(pcts) if pcts else None,
        "ci95_mean_percent_improvement": ci,
        "responders_mcid": responders / n if n else None,
        "responders_30": sum(1 for p in pcts if p >= 30) / n if n else None,
        "responders_50": sum(1 for p in pcts if p >= 50) / n if n else None,
        "responders_mcid_all_included": responders / len(included) if included else None,
    }
    if domain == "depression":
        severe = [(b, f) for b, f in completers if b >= 10]
        figures["remission"] = sum(1 for b, f in severe if f < 5) / len(severe) if severe else None
    bins = [0] * (len(EDGES) + 1)
    for pct in pcts:
        bins[sum(1 for edge in EDGES if pct >= edge)] += 1
    figures["percent_improvement_distribution"] = bins
    return figures


def adherence(plans, prescriptions, sessions, as_of):
    per_plan = {}
    for plan in plans:
        per_plan[plan["id"]] = adherence_reference.weekly_adherence(
            start=plan["start"], tz=plan["tz"], versions=prescriptions.get(plan["id"], []),
            sessions=sessions.get(plan["id"], []), as_of=as_of)
    plan_values = [v for v in (adherence_reference.plan_adherence(w) for w in per_plan.values()) if v is not None]
    weekly = []
    for week in range(1, 13):
        values = [w[week][2] for w in per_plan.values() if week in w and w[week][0] is not None]
        weekly.append((sum(values) / len(values) if values else None, len(values)))
    spw = [sum(w[k][1] for k in w if k <= 12) / 12 for w in per_plan.values()]
    return {
        "mean_plan_adherence": sum(plan_values) / len(plan_values) if plan_values else None,
        "n_plans": len(plan_values),
        "mean_sessions_per_week": sum(spw) / len(spw) if spw else None,
        "weekly": weekly,
    }


def pain_curve(plans, assessments):
    curve = []
    for week in range(0, 13):
        scores = []
        for plan in plans:
            in_week = [(a["collected_at"], a["score"]) for a in assessments
                       if a["patient"] == plan["patient"] and a["instrument"] == "nprs" and not a["superseded"]
                       and math.floor((local_date(a["collected_at"], plan["tz"]) - plan["start"]).days / 7) + 1
                       == week]
            if in_week:
                scores.append(max(in_week)[1])
        curve.append((float(sum(scores) / len(scores)) if scores else None, len(scores)))
    return curve


