"""An independent, plain-Python reading of clinical-reference §5 (method version 2), written from the
text, to check the SQL report against. Slow and obvious on purpose: per plan, per figure, with exact
binomial sums for the median's interval and statsmodels' MixedLM for the model."""

import datetime as dt
import math
import statistics
import warnings
from decimal import Decimal
from zoneinfo import ZoneInfo

from scipy import stats

from tests.exercises import reference as adherence_reference

# domain: (instrument, included(b), symptomatic(b), responder(b, f), deteriorated(b, f), higher is better)
DOMAINS = {
    "pain": ("nprs", lambda b: b >= 4, lambda b: b > 0,
             lambda b, f: b - f >= 2 or (b - f) / b >= Decimal("0.3"), lambda b, f: f - b >= 2, False),
    "function": ("odi", lambda b: b >= 20, lambda b: b > 0,
                 lambda b, f: b - f >= 10 or (b - f) / b >= Decimal("0.3"), lambda b, f: f - b >= 10, False),
    "depression": ("phq9", lambda b: b >= 5, lambda b: b > 0, lambda b, f: b - f >= 5, lambda b, f: f - b >= 5,
                   False),
    "anxiety": ("gad7", lambda b: b >= 5, lambda b: b > 0, lambda b, f: b - f >= 4, lambda b, f: f - b >= 4, False),
    "psfs": ("psfs", lambda b: b <= 8, lambda b: b < 10, lambda b, f: f - b >= 2, lambda b, f: b - f >= 2, True),
}
POINTS = [(0, -14, 0), (28, 21, 35), (56, 49, 63), (84, 70, 98)]  # (day, first, last)
EDGES = list(range(-100, 101, 10))


def local_date(at: dt.datetime, tz: str) -> dt.date:
    return at.astimezone(ZoneInfo(tz)).date()


def of_plan(assessments, plan, instrument):
    """(day from S, collected_at, creation order, score) of the plan's live assessments of the instrument."""
    return [((local_date(a["collected_at"], plan["tz"]) - plan["start"]).days, a["collected_at"], order, a["score"])
            for order, a in enumerate(assessments)
            if a["patient"] == plan["patient"] and a["instrument"] == instrument and not a["superseded"]]


def pick(found, day, first, last):
    """Nearest to the day in [first, last]; a tie in days, the earlier day; same day, the last collected."""
    inside = [f for f in found if first <= f[0] <= last]
    if not inside:
        return None
    return min(inside, key=lambda f: (abs(f[0] - day), f[0], -f[1].timestamp(), -f[2]))[3]


def cohort(plans, *, start_from, start_to, as_of, clinic=None):
    return [p for p in plans if p["activated"] and start_from <= p["start"] <= start_to
            and p["start"] + dt.timedelta(days=98) <= as_of and (clinic is None or p["clinic"] == clinic)]


def mean(values):
    return sum(values) / len(values) if values else None


def t_ci(values):
    if len(values) < 2:
        return None
    half = stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return [mean(values) - half, mean(values) + half]


def wilson(k, n):
    if n < 2:
        return None
    z, p = stats.norm.ppf(0.975), k / n
    centre = (p + z ** 2 / (2 * n)) / (1 + z ** 2 / n)
    half = z / (1 + z ** 2 / n) * math.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
    return [centre - half, centre + half]


def share(k, n):
    return k / n if n else None


def median_ci(values):
    """Order statistics (x(j), x(n+1−j)) with the largest j whose exact binomial coverage is >= 95%."""
    n, ordered = len(values), sorted(values)
    largest = None
    for j in range(1, n // 2 + 1):
        coverage = sum(math.comb(n, i) for i in range(j, n + 1 - j)) / 2 ** n
        if coverage >= 0.95:
            largest = j
    return None if largest is None else [ordered[largest - 1], ordered[n - largest]]


def plan_scores(plan, assessments, instrument):
    found = of_plan(assessments, plan, instrument)
    points = [pick(found, day, first, last) for day, first, last in POINTS]
    later = [f for f in found if 1 <= f[0] <= 98]
    last = max(later, key=lambda f: (f[1], f[2]))[3] if later else None
    return points, last


def completer_figures(pairs, domain, percent):
    """Every §5 completer figure over the (baseline, follow-up) pairs (the sensitivity line's too)."""
    _, _, _, responder, deteriorated, higher = DOMAINS[domain]
    n = len(pairs)
    improvement = [float(f - b if higher else b - f) for b, f in pairs]
    pcts = [float((b - f) / b * 100) for b, f in pairs] if percent else []
    mean_b, mean_f = mean([float(b) for b, _ in pairs]), mean([float(f) for _, f in pairs])
    count = lambda test: sum(1 for b, f in pairs if test(b, f))  # noqa: E731
    figures = {
        "mean_baseline": mean_b, "mean_followup": mean_f,
        "mean_improvement": mean(improvement), "ci95_mean_improvement": t_ci(improvement),
        "mean_percent_improvement": mean(pcts), "ci95_mean_percent_improvement": t_ci(pcts) if percent else None,
        "percent_improvement_of_means": (mean_b - mean_f) / mean_b * 100 if percent and mean_b else None,
        "median_percent_improvement": statistics.median(pcts) if pcts else None,
        "ci95_median_percent_improvement": median_ci(pcts) if percent else None,
        "responders_mcid": share(count(responder), n), "ci95_responders_mcid": wilson(count(responder), n),
        "deteriorated": share(count(deteriorated), n), "ci95_deteriorated": wilson(count(deteriorated), n),
    }
    for threshold in (30, 50):
        k = sum(1 for p in pcts if p >= threshold)
        figures[f"responders_{threshold}"] = share(k, n) if percent else None
        figures[f"ci95_responders_{threshold}"] = wilson(k, n) if percent else None
    return figures, pcts


def domain_figures(plans, assessments, domain):
    instrument, is_included, _, responder, _, higher = DOMAINS[domain]
    percent = not higher
    rows = []  # (points, last observed)
    for plan in plans:
        points, last = plan_scores(plan, assessments, instrument)
        if points[0] is not None:
            rows.append((points, last))
    included = [r for r in rows if is_included(r[0][0])]
    pairs = [(p[0], p[3]) for p, _ in included if p[3] is not None]
    n, ni = len(pairs), len(included)
    figures, pcts = completer_figures(pairs, domain, percent)
    responders = sum(1 for b, f in pairs if responder(b, f))
    figures |= {
        "n_plans": len(plans), "n_with_baseline": len(rows), "n_included": ni, "n_completers": n,
        "completion_rate": share(n, ni), "ci95_completion_rate": wilson(n, ni),
        "mean_baseline_completers": figures["mean_baseline"],
        "mean_baseline_non_completers": mean([float(p[0]) for p, _ in included if p[3] is None]),
        "responders_mcid_nri": share(responders, ni), "ci95_responders_mcid_nri": wilson(responders, ni),
        "responders_mcid_all_included": share(responders, ni),
    }
    figures |= locf_figures(included, domain, percent)
    figures |= model_figures([p for p, _ in included], higher)
    figures["percent_improvement_distribution"] = distribution(pcts) if percent else []
    if domain == "depression":
        severe = [(b, f) for b, f in pairs if b >= 10]
        figures["n_response_base"] = len(severe)
        for name, test in (("response", lambda b, f: (b - f) * 2 >= b), ("remission", lambda b, f: f < 5)):
            k = sum(1 for b, f in severe if test(b, f))
            figures[name], figures[f"ci95_{name}"] = share(k, len(severe)), wilson(k, len(severe))
    figures["sensitivity"] = sensitivity(rows, domain, percent)
    figures["suppressed_figures"] = suppressed(figures, percent)
    figures["suppressed"] = bool(figures["suppressed_figures"])
    return figures


def locf_figures(included, domain, percent):
    _, _, _, responder, _, higher = DOMAINS[domain]
    pairs = [(p[0], p[3] if p[3] is not None else last if last is not None else p[0]) for p, last in included]
    improvement = [float(f - b if higher else b - f) for b, f in pairs]
    pcts = [float((b - f) / b * 100) for b, f in pairs] if percent else []
    k = sum(1 for b, f in pairs if responder(b, f))
    return {"mean_improvement_locf": mean(improvement), "ci95_mean_improvement_locf": t_ci(improvement),
            "mean_percent_improvement_locf": mean(pcts) if percent else None,
            "ci95_mean_percent_improvement_locf": t_ci(pcts) if percent else None,
            "responders_mcid_locf": share(k, len(pairs)), "ci95_responders_mcid_locf": wilson(k, len(pairs))}


def sensitivity(rows, domain, percent):
    _, _, is_symptomatic, _, _, _ = DOMAINS[domain]
    symptomatic = [p for p, _ in rows if is_symptomatic(p[0])]
    pairs = [(p[0], p[3]) for p in symptomatic if p[3] is not None]
    figures, _ = completer_figures(pairs, domain, percent)
    return {"n_included": len(symptomatic), "n_completers": len(pairs), **figures}


def model_figures(point_rows, higher):
    """statsmodels' MixedLM, score ~ C(point), random intercept per plan, REML (§5)."""
    data = [(plan, point, float(score)) for plan, points in enumerate(point_rows)
            for point, score in enumerate(points) if score is not None]
    n_plans = len({plan for plan, _, _ in data})
    result = {"model_n_plans": n_plans, "model_n_scores": len(data), "model_mean_change": None,
              "ci95_model_mean_change": None, "model_status": "no data"}
    if not any(point == 0 for _, point, _ in data) or not any(point == 3 for _, point, _ in data):
        return result
    import numpy as np
    import pandas as pd
    import statsmodels.formula.api as smf

    frame = pd.DataFrame(data, columns=["plan", "point", "score"])
    if not has_information(frame):
        return result | {"model_status": "not converged"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = smf.mixedlm("score ~ C(point)", frame, groups="plan").fit(reml=True)  # the §5 reference
        except np.linalg.LinAlgError:
            fitted = None
    name = "C(point)[T.3]"
    if (fitted is None or fitted.scale <= 1e-6 * frame.score.var(ddof=0)
            or flat_in_the_variance_ratio(fitted)
            or not np.isfinite(fitted.conf_int().loc[name]).all()):
        # outcomes.mixed_model's documented rule: no residual variance at the point reached, or no
        # finite, invertible information there (none about the variance ratio), is "not converged"
        return result | {"model_status": "not converged"}
    beta, (low, high) = fitted.params[name], fitted.conf_int().loc[name]
    sign = 1 if higher else -1
    return result | {"model_mean_change": sign * beta, "ci95_model_mean_change": sorted([sign * low, sign * high]),
                     "model_status": "converged"}


def flat_in_the_variance_ratio(fitted):
    """The REML likelihood does not depend on γ = τ²/σ² (e.g. no plan has two scores): the information
    is singular, and statsmodels' interval comes from inverting round-off."""
    import numpy as np
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    ratio = float(fitted.params_object.cov_re[0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = [fitted.model.loglike(MixedLMParams.from_components(fitted.fe_params.values, np.array([[g]])),
                                       profile_fe=True) for g in (ratio / 4 + 0.25, 2 * ratio + 0.5, 4 * ratio + 1)]
    return max(values) - min(values) <= 1e-9 * (1 + abs(values[0]))


def has_information(frame):
    """outcomes.mixed_model's documented rule before any fit: residual degrees of freedom (scores −
    time points) and scores off their time points' means (else σ² = 0 at every variance ratio)."""
    residual_df = len(frame) - frame.point.nunique()
    off_means = ((frame.score - frame.groupby("point").score.transform("mean")) ** 2).sum()
    return residual_df > 0 and off_means > 1e-9 * (frame.score ** 2).sum()


def distribution(pcts):
    bins = [0] * (len(EDGES) + 1)
    for pct in pcts:
        bins[sum(1 for edge in EDGES if pct >= edge)] += 1
    bounds = [None, *EDGES, None]
    return [{"from": bounds[i], "to": bounds[i + 1], "n": n} for i, n in enumerate(bins)]


def suppressed(figures, percent):
    """§5: the names of the figures whose n is below 10, by the shape file's table of n's."""
    nc, ni = figures["n_completers"], figures["n_included"]
    names = []
    for name in figures:
        if name.startswith("n_") or name in ("model_n_plans", "model_n_scores", "model_status", "sensitivity",
                                             "suppressed", "suppressed_figures"):
            continue
        if not percent and ("percent" in name or name.endswith(("_30", "_50"))):
            continue
        if name in ("response", "ci95_response", "remission", "ci95_remission"):
            n = figures["n_response_base"]
        elif name.startswith(("model_", "ci95_model_")):
            n = figures["model_n_plans"]
        elif name == "mean_baseline_non_completers":
            n = ni - nc
        elif "completion_rate" in name or name.endswith(("_nri", "_locf", "_all_included")):
            n = ni
        else:
            n = nc
        if n < 10 and figures[name] is not None:
            names.append(name)
    sens = figures["sensitivity"]
    names += [f"sensitivity.{name}" for name, value in sens.items() if not name.startswith("n_")
              and sens["n_completers"] < 10 and value is not None]
    return names


def adherence(plans, prescriptions, sessions, as_of):
    per_plan = {}
    for plan in plans:
        per_plan[plan["id"]] = adherence_reference.weekly_adherence(
            start=plan["start"], tz=plan["tz"], versions=prescriptions.get(plan["id"], []),
            sessions=sessions.get(plan["id"], []), as_of=as_of, discharged_at=plan.get("discharged_at"),
            status_changes=plan.get("status_changes", ()))
    plan_values, spw = [], []
    for weeks in per_plan.values():
        counted = [(done, adherence) for target, done, adherence, ended, *_ in weeks.values()
                   if target is not None and ended]
        if counted:
            plan_values.append(mean([a for _, a in counted]))
            spw.append(sum(d for d, _ in counted) / len(counted))  # §4 (v2)
    weekly = []
    for week in range(1, 13):
        values = [w[week][2] for w in per_plan.values() if week in w and w[week][0] is not None]
        weekly.append((mean(values), len(values)))
    return {"mean_plan_adherence": mean(plan_values), "n_plans": len(plan_values),
            "mean_sessions_per_week": mean(spw), "weekly": weekly}


def pain_curve(plans, assessments):
    """§5 (v2): week w is the plan's last NPRS in days [7w − 6, 7w]; week 0 its baseline pick."""
    curve = []
    for week in range(0, 13):
        scores = []
        for plan in plans:
            found = of_plan(assessments, plan, "nprs")
            if week == 0:
                score = pick(found, *POINTS[0])
            else:
                in_week = [f for f in found if 7 * week - 6 <= f[0] <= 7 * week]
                score = max(in_week, key=lambda f: (f[1], f[2]))[3] if in_week else None
            if score is not None:
                scores.append(float(score))
        curve.append((mean(scores), len(scores)))
    return curve


def pgic(plans, assessments):
    """§5: PGIC in the week-12 window picked by the §5 rule; improved = 1 or 2."""
    answers = [pick(of_plan(assessments, plan, "pgic"), *POINTS[3]) for plan in plans]
    answers = [a for a in answers if a is not None]
    k = sum(1 for a in answers if a <= 2)
    return {"n_pgic": len(answers), "pgic_improved": share(k, len(answers)),
            "ci95_pgic_improved": wilson(k, len(answers))}
