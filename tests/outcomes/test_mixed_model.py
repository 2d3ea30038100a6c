"""The clinical-reference §5 mixed model against its reference, statsmodels' MixedLM (to 3 decimals).

Plain functions, no database: the data are per-plan scores made here, turned into the pattern
statistics the report's SQL sends (outcomes.mixed_model.PatternStats) and, for the reference, into
one row per score.
"""

import math
import warnings

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.mixed_model import NEGLIGIBLE_RESIDUAL, ModelFit, PatternStats, fit

WEEKS = (0, 4, 8, 12)  # baseline, week 4, week 8, week 12: the levels of C(point)
DECIMALS = 5e-4  # "agree to 3 decimals" (§5)

Plan = dict[int, float]  # point index (0..3) -> score


def pattern_stats(plans: list[Plan]) -> list[PatternStats]:
    """What the report's SQL computes: per pattern of points, the five sufficient statistics."""
    by_pattern: dict[tuple[bool, ...], list[Plan]] = {}
    for plan in plans:
        by_pattern.setdefault(tuple(k in plan for k in range(4)), []).append(plan)
    return [
        PatternStats(
            points=pattern,
            n_plans=len(members),
            point_sums=tuple(sum(plan.get(k, 0.0) for plan in members) for k in range(4)),
            sum_squares=sum(score**2 for plan in members for score in plan.values()),
            sum_plan_total_squares=sum(sum(plan.values()) ** 2 for plan in members),
        )
        for pattern, members in by_pattern.items()
    ]


def statsmodels_model(plans: list[Plan]):
    rows = [(i, WEEKS[k], score) for i, plan in enumerate(plans) for k, score in plan.items()]
    data = pd.DataFrame(rows, columns=["plan", "point", "score"])
    return smf.mixedlm("score ~ C(point)", data, groups="plan")


def statsmodels_fit(model, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary and convergence notes: the tests assert what matters
        return model.fit(reml=True, **options)


def week12(result):
    """β(week 12) with its Wald interval, from a statsmodels result."""
    name = "C(point)[T.12]"
    low, high = result.conf_int().loc[name]
    return result.fe_params[name], low, high


def statsmodels_week12(plans: list[Plan]):
    """The §5 reference: β(week 12) with its Wald interval, and the fit's σ² and τ²."""
    result = statsmodels_fit(statsmodels_model(plans))
    return *week12(result), result.scale, result.cov_re.iloc[0, 0]


def assert_agrees(model, beta, low, high, *, higher_is_better):
    sign = 1 if higher_is_better else -1  # mean_change is signed as improvement
    expected = sorted([sign * low, sign * high])
    assert model.status == "converged"
    assert abs(model.mean_change - sign * beta) < DECIMALS
    assert abs(model.ci95[0] - expected[0]) < DECIMALS
    assert abs(model.ci95[1] - expected[1]) < DECIMALS


@st.composite
def cohorts(draw) -> list[Plan]:
    """Plans with a random intercept, 4 points, random missingness (plans with one score too) and
    tied scores; small to large between-plan variance; sometimes a clinic that never scores week 4
    or week 8 (C(point) then has fewer levels). The first two plans have every point the cohort has,
    so both levels of the week-12 contrast are always there."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_plans = draw(st.integers(2, 300))
    between_sd = draw(st.sampled_from([0.0, 0.3, 2.0, 15.0]))
    within_sd = draw(st.sampled_from([0.7, 2.0, 8.0]))
    missing = draw(st.floats(0.0, 0.8))
    step = draw(st.sampled_from([1.0, 0.5, 2.0]))  # scores on a grid: ties
    top = draw(st.sampled_from([10.0, 27.0, 100.0]))  # NPRS/PSFS, PHQ-9, ODI ranges
    change = np.array([0.0, -0.1, -0.2, -0.3]) * top * draw(st.floats(0.0, 1.0))
    never_scored = draw(st.sets(st.sampled_from([1, 2])))
    plans = []
    for i in range(n_plans):
        intercept = 0.6 * top + rng.normal(0.0, between_sd)
        kept = [k for k in range(4) if k not in never_scored and (i < 2 or rng.random() >= missing)]
        scores = intercept + change[kept] + rng.normal(0.0, within_sd, len(kept))
        scores = np.clip(np.round(scores / step) * step, 0.0, top)
        if kept:
            plans.append(dict(zip(kept, scores.tolist(), strict=True)))
    return plans


@settings(deadline=None, max_examples=40)
@given(plans=cohorts(), higher_is_better=st.booleans())
def test_matches_statsmodels(plans, higher_is_better):
    model = fit(pattern_stats(plans), higher_is_better=higher_is_better)
    result = statsmodels_fit(statsmodels_model(plans))
    beta, low, high = week12(result)
    assert (model.n_plans, model.n_scores) == (len(plans), sum(len(plan) for plan in plans))
    scores = np.array([score for plan in plans for score in plan.values()])
    if math.isfinite(low) and scores.var() > 0 and result.scale > NEGLIGIBLE_RESIDUAL * scores.var():
        # statsmodels' figures, whether or not it set its convergence flag (see the boundary tests)
        assert_agrees(model, beta, low, high, higher_is_better=higher_is_better)
    else:  # no residual variance left (σ² ≈ 0, or a NaN interval): no information to report
        assert model.status == "not converged"


def test_lower_is_better_reports_a_fall_as_improvement():
    plans = [{0: 7.0, 3: 3.0}, {0: 6.0, 3: 3.0}, {0: 8.0, 1: 6.0, 3: 5.0}, {0: 5.0, 2: 4.0, 3: 2.0}]
    pain = fit(pattern_stats(plans))
    psfs = fit(pattern_stats(plans), higher_is_better=True)
    assert pain.mean_change > 0 > psfs.mean_change
    assert pain.mean_change == -psfs.mean_change
    assert pain.ci95 == [-psfs.ci95[1], -psfs.ci95[0]]
    beta, low, high, _, _ = statsmodels_week12(plans)
    assert_agrees(pain, beta, low, high, higher_is_better=False)


def test_between_plan_variance_on_the_boundary():
    """Every plan's total is the same, so the REML maximum is at τ² = 0. statsmodels stops short of it,
    at τ² ≈ 0.007 (its own likelihood is higher at the boundary), and its figures are the reference:
    the fit follows statsmodels' search and stops where it stops."""
    plans = [{0: 7.0, 3: 3.0}, {0: 3.0, 3: 7.0}, {0: 6.0, 3: 4.0}, {0: 4.0, 3: 6.0}, {0: 2.0, 3: 8.0},
             {0: 5.0, 1: 5.0, 3: 0.0}, {0: 4.0, 2: 4.0, 3: 2.0}]
    reference = statsmodels_model(plans)
    result = statsmodels_fit(reference)
    assert 1e-3 < result.cov_re.iloc[0, 0] < 1e-2
    assert reference.loglike(np.array([1e-4])) > result.llf  # √γ near 0 (exactly 0 is singular to it)
    assert_agrees(fit(pattern_stats(plans)), *week12(result), higher_is_better=False)


def test_statsmodels_convergence_flag_unset_at_the_boundary_still_gives_its_figures():
    """Here statsmodels' search crosses to √γ < 0, where its gradient (that of |√γ|) points the wrong
    way, so BFGS, L-BFGS and CG all end without their convergence flag, at τ² ≈ 0.00004, with a
    finite interval. Those flags flip with round-off, the point does not: the report gives the
    figures (the information there is finite and positive definite) rather than "not converged"."""
    plans = [{0: 4.0, 1: 3.0, 2: 4.0, 3: 4.0}, {0: 7.0, 1: 5.0, 2: 3.0, 3: 2.0}, {1: 3.0, 2: 6.0},
             {0: 4.0, 1: 4.0, 3: 2.0}, {1: 6.0, 3: 1.0}, {0: 5.0, 1: 4.0, 3: 3.0}, {2: 4.0},
             {0: 5.0, 1: 3.0, 2: 4.0}, {0: 6.0, 3: 2.0}, {1: 7.0, 3: 4.0}, {0: 4.0, 1: 4.0, 2: 6.0, 3: 3.0},
             {0: 5.0, 2: 4.0}]
    result = statsmodels_fit(statsmodels_model(plans))
    assert not result.converged and result.cov_re.iloc[0, 0] < 1e-3
    assert_agrees(fit(pattern_stats(plans)), *week12(result), higher_is_better=False)


def test_pattern_rows_may_come_split():
    """Sums are sums: a pattern sent as two rows (e.g. from two queries) fits as one."""
    plans = [{0: 7.0, 3: 3.0}, {0: 6.0, 3: 5.0}, {0: 8.0, 1: 6.0, 3: 5.0}, {0: 5.0, 3: 2.0}, {0: 6.0, 2: 4.0}]
    whole = fit(pattern_stats(plans))
    split = fit(pattern_stats(plans[:2]) + pattern_stats(plans[2:]))
    assert split.status == whole.status == "converged"
    assert math.isclose(split.mean_change, whole.mean_change, rel_tol=1e-9)
    assert np.allclose(split.ci95, whole.ci95, rtol=1e-9)


def test_all_scores_identical_is_not_converged():
    """σ² = 0: the information is singular. statsmodels returns β = 0, σ² = 0 and an interval of
    round-off width (or NaN, depending on the layout); the report states "not converged" with no
    figure, as §5 asks of a fit without an answer."""
    plans = [{0: 5.0, 1: 5.0, 2: 5.0, 3: 5.0}] * 6 + [{0: 5.0, 3: 5.0}] * 6
    beta, _, _, scale, _ = statsmodels_week12(plans)
    assert abs(beta) < 1e-12 and not scale > 1e-12
    assert fit(pattern_stats(plans)) == fit_without_answer(12, 36, "not converged")


def test_scores_constant_within_every_plan_is_not_converged():
    """Plans differ but each plan scores the same at every point: σ² → 0 and γ → ∞, the information
    has no finite value. statsmodels stops at some large γ with σ² ≈ 0 and an interval of round-off
    width; the report states "not converged"."""
    plans = [{0: float(level), 1: float(level), 2: float(level), 3: float(level)} for level in range(10)]
    plans += [{0: 3.0, 3: 3.0}, {0: 8.0, 3: 8.0}]
    _, _, _, scale, tau2 = statsmodels_week12(plans)
    assert scale < 1e-6 < tau2
    assert fit(pattern_stats(plans)) == fit_without_answer(12, 44, "not converged")


def test_only_one_score_per_plan_is_not_converged():
    """With one score per plan σ² and τ² cannot be told apart (the likelihood is flat in their
    ratio), so the information matrix is singular; statsmodels inverts it anyway and prints a
    number that depends on round-off. The report says "not converged"."""
    plans = [{i % 4: float(i % 7)} for i in range(40)]
    assert fit(pattern_stats(plans)) == fit_without_answer(40, 40, "not converged")


def test_no_week12_score_is_no_data():
    plans = [{0: 6.0, 1: 5.0, 2: 4.0}, {0: 7.0, 2: 3.0}]
    assert fit(pattern_stats(plans)) == fit_without_answer(2, 5, "no data")


def test_no_baseline_score_is_no_data():
    plans = [{1: 6.0, 3: 4.0}, {2: 7.0, 3: 3.0}]
    assert fit(pattern_stats(plans)) == fit_without_answer(2, 4, "no data")


def test_no_plans_is_no_data():
    assert fit([]) == fit_without_answer(0, 0, "no data")
    empty = PatternStats((True, False, False, True), 0, (0.0, 0.0, 0.0, 0.0), 0.0, 0.0)
    assert fit([empty]) == fit_without_answer(0, 0, "no data")


def fit_without_answer(n_plans, n_scores, status):
    return ModelFit(None, None, n_plans, n_scores, status)
