"""Stored 12-week report snapshots in the v2 shape (shared/report-v2-shape, clinical-reference §5),
for the pages and exports that display them: every key of every domain, some figures suppressed,
one model that did not converge."""

import copy
import datetime as dt

from outcomes.models import OutcomeReport

DOMAINS = ("pain", "function", "depression", "anxiety", "psfs")


def domain_figures(*, n_completers=30, n_included=40, model_status="converged", psfs=False,
                   depression=False) -> dict:
    """One domain's figures; a base under 10 lists its figures in `suppressed_figures`, as §5 says."""
    small = lambda n: n < 10  # noqa: E731
    figures = {
        "n_plans": 60, "n_with_baseline": 50, "n_included": n_included, "n_completers": n_completers,
        "completion_rate": n_completers / n_included, "ci95_completion_rate": [0.6, 0.86],
        "mean_baseline_completers": 6.4, "mean_baseline_non_completers": 7.1,
        "mean_baseline": 6.4, "mean_followup": 3.2,
        "mean_improvement": 3.2, "ci95_mean_improvement": [2.46, 3.94],
        "mean_percent_improvement": None if psfs else 48.5,
        "ci95_mean_percent_improvement": None if psfs else [40.1, 56.9],
        "percent_improvement_of_means": None if psfs else 50.0,
        "median_percent_improvement": None if psfs else 50.0,
        "ci95_median_percent_improvement": None if psfs else [40.0, 60.0],
        "responders_mcid": 0.7, "ci95_responders_mcid": [0.52, 0.83],
        "responders_30": None if psfs else 0.6, "ci95_responders_30": None if psfs else [0.42, 0.75],
        "responders_50": None if psfs else 0.4, "ci95_responders_50": None if psfs else [0.25, 0.58],
        "deteriorated": 0.05, "ci95_deteriorated": [0.01, 0.21],
        "responders_mcid_all_included": 0.525,
        "percent_improvement_distribution": [{"from": None, "to": -50, "n": 0}, {"from": 40, "to": 50, "n": 4},
                                             {"from": 50, "to": 60, "n": 26}],
        "responders_mcid_nri": 0.525, "ci95_responders_mcid_nri": [0.37, 0.67],
        "mean_improvement_locf": 2.61, "ci95_mean_improvement_locf": [1.9, 3.3],
        "mean_percent_improvement_locf": None if psfs else 39.0,
        "ci95_mean_percent_improvement_locf": None if psfs else [31.0, 47.0],
        "responders_mcid_locf": 0.675, "ci95_responders_mcid_locf": [0.52, 0.8],
        "model_mean_change": 3.05 if model_status == "converged" else None,
        "ci95_model_mean_change": [2.4, 3.7] if model_status == "converged" else None,
        "model_n_plans": n_included, "model_n_scores": 3 * n_included, "model_status": model_status,
        "sensitivity": {"n_included": 52, "n_completers": 37, "mean_baseline": 5.9, "mean_followup": 3.0,
                        "mean_improvement": 2.9, "ci95_mean_improvement": [2.2, 3.6],
                        "mean_percent_improvement": None if psfs else 45.0,
                        "ci95_mean_percent_improvement": None if psfs else [37.0, 53.0],
                        "percent_improvement_of_means": None if psfs else 49.2,
                        "median_percent_improvement": None if psfs else 47.0,
                        "ci95_median_percent_improvement": None if psfs else [38.0, 57.0],
                        "responders_mcid": 0.65, "ci95_responders_mcid": [0.49, 0.78],
                        "responders_30": None if psfs else 0.57, "ci95_responders_30": None if psfs else [0.41, 0.71],
                        "responders_50": None if psfs else 0.38, "ci95_responders_50": None if psfs else [0.24, 0.54],
                        "deteriorated": 0.08, "ci95_deteriorated": [0.03, 0.21]},
    }
    if depression:
        figures |= {"response": 0.45, "ci95_response": [0.3, 0.61], "remission": 0.25, "ci95_remission": [0.14, 0.41],
                    "n_response_base": 22}
    completer_figures = [name for name in figures if name.startswith(("mean_", "ci95_mean_", "median", "ci95_median",
                                                                      "responders_", "ci95_responders_", "percent_",
                                                                      "deteriorated", "ci95_deteriorated"))
                         and not name.endswith(("_locf", "_nri", "_all_included", "_completers"))]
    suppressed = completer_figures if small(n_completers) else []
    if small(n_included):
        suppressed += ["completion_rate", "ci95_completion_rate", "responders_mcid_nri", "ci95_responders_mcid_nri",
                       "responders_mcid_all_included", "mean_improvement_locf", "ci95_mean_improvement_locf",
                       "responders_mcid_locf", "ci95_responders_mcid_locf"]
    figures["suppressed_figures"] = suppressed
    figures["suppressed"] = bool(suppressed)
    return figures


def view(*, n_plans=60, small=False, pgic_n=24) -> dict:
    """The whole cohort or one segment: `small` gives a segment of 8 plans, all of it suppressed."""
    results = {d: domain_figures(psfs=d == "psfs", depression=d == "depression",
                                 model_status="not converged" if d == "anxiety" else "converged",
                                 **({"n_completers": 6, "n_included": 7} if small else {})) for d in DOMAINS}
    return {
        "n_plans": n_plans, "results": results,
        "adherence": {"mean_plan_adherence": 0.72, "mean_sessions_per_week": 2.4, "n_plans": n_plans,
                      "weekly": [{"week": w, "mean_adherence": 0.8 - w / 100, "n": n_plans} for w in range(1, 13)]},
        "pain_curve": [{"week": w, "mean_nprs": 6.4 - w / 4, "n": 7 if w == 12 and small else n_plans}
                       for w in range(13)],
        "pgic_improved": 0.58, "ci95_pgic_improved": [0.39, 0.75], "n_pgic": pgic_n,
        "suppressed_figures": ["pgic_improved", "ci95_pgic_improved"] if pgic_n < 10 else [],
    }


def v2_snapshot(segment_by="pt", segments=(("17", "Priya Shah", 52), ("23", "Tom Reed", 8))) -> dict:
    """A whole report: the cohort, then its segments by (key, label, plans); under 10 plans is small."""
    return {"method_version": "2", **view(),
            "segments": [{"segment": key, "label": label, **view(n_plans=n, small=n < 10, pgic_n=min(n, 24))}
                         for key, label, n in segments]}


def v1_snapshot() -> dict:
    """A snapshot stored before method v2: no version, no intervals but one, no labels."""
    v2 = v2_snapshot()
    keep = {"n_included", "n_completers", "completion_rate", "mean_baseline", "mean_followup", "mean_improvement",
            "mean_percent_improvement", "percent_improvement_of_means", "median_percent_improvement",
            "ci95_mean_percent_improvement", "responders_mcid", "responders_30", "responders_50",
            "responders_mcid_all_included", "remission", "percent_improvement_distribution"}

    def old(part):
        part = copy.deepcopy(part)
        part["results"] = {d: {k: v for k, v in f.items() if k in keep} for d, f in part["results"].items()
                           if d != "psfs"}
        for key in ("method_version", "pgic_improved", "ci95_pgic_improved", "n_pgic", "suppressed_figures", "label",
                    "n_plans"):
            part.pop(key, None)
        return part

    return {"n_plans": v2["n_plans"], **{k: v for k, v in old(v2).items()},
            "segments": [old(s) for s in v2["segments"]]}


def stored_report(clinic, results: dict, *, segment_by="pt", requested_by=None) -> OutcomeReport:
    """A finished report as the worker leaves it (the snapshot is final once done)."""
    return OutcomeReport.objects.create(
        clinic=clinic, start_from=dt.date(2026, 1, 1), start_to=dt.date(2026, 6, 30), as_of=dt.date(2026, 10, 1),
        segment_by=segment_by, status=OutcomeReport.Status.DONE, progress=100, results=results,
        code_version="test", requested_by=requested_by)
