"""The "all starters" linear mixed model of clinical-reference §5, fitted from sufficient statistics.

Model: score ~ C(point) (baseline the reference level), a random intercept per plan, REML; the figure
is the week-12 coefficient with its 95% Wald interval, formed as statsmodels' `MixedLM` forms it
(the reference it must match to 3 decimals, §5).

Why sufficient statistics: the report is set-based SQL over up to 100k plans, so the per-plan rows
never come into Python (and statsmodels, which loops over groups in Python, would take minutes).
With a random intercept every plan's covariance is σ²(I + γ11ᵀ) and depends only on how many points
the plan has, so the REML likelihood, the GLS fixed effects and the observed information are sums
over plans of a few per-plan quantities: the scores by point, Σ score², and (Σ score)². Summed per
*pattern* (which of the 4 points a plan has) in SQL, at most 15 rows arrive here, whatever the size.

The fit follows statsmodels step by step: σ² is profiled out, the REML profile log-likelihood is
maximised over the variance ratio γ = τ²/σ² with statsmodels' own search (so that near the boundary
τ² = 0 it stops where statsmodels stops, see `_reml_ratio`), the fixed effects are the GLS estimates
at γ̂, and their covariance is the inverse of the negative Hessian of the profile log-likelihood in
(fixed effects, γ), cross term included, as in `MixedLM.hessian`. Internally the fixed effects are
the level means μ (cell means); the week-12 coefficient is the contrast μ(week 12) − μ(baseline),
whose Wald variance is invariant to that linear reparametrisation.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from careplans.schedule import TIME_POINTS
from outcomes.intervals import Z95

POINTS = len(TIME_POINTS)  # baseline, week 4, week 8, week 12 (clinical-reference §5 time points)
BASELINE, WEEK_12 = 0, POINTS - 1
SINGULAR = 1e-9  # relative size below which a pivot or residual sum of squares counts as zero
NEGLIGIBLE_RESIDUAL = 1e-6  # σ̂² below this share of the scores' variance: σ² = 0 for practical purposes
# statsmodels' defaults for `MixedLM.fit` (scipy's BFGS, then L-BFGS, then CG), followed so that the
# fit stops where statsmodels' does
MAXITER, GTOL = 100, 1e-5


@dataclass(frozen=True)
class PatternStats:
    points: tuple[bool, bool, bool, bool]  # which of baseline, week 4, week 8, week 12 these plans have
    n_plans: int  # plans with exactly this pattern
    point_sums: tuple[float, float, float, float]  # Σ over those plans of the score at each point (0.0 where absent)
    sum_squares: float  # Σ over those plans and their points of score²
    sum_plan_total_squares: float  # Σ over those plans of (the plan's own sum of scores)²


@dataclass(frozen=True)
class ModelFit:
    mean_change: float | None  # week-12 minus baseline, signed as improvement (see higher_is_better)
    ci95: list[float] | None  # 95% Wald interval of mean_change, [low, high]
    n_plans: int  # plans with at least one score in the fit
    n_scores: int  # scores in the fit
    status: str  # "converged" | "not converged" | "no data"


@dataclass(frozen=True)
class _Data:
    """The pattern statistics as arrays, one row per pattern, columns the levels observed."""

    design: np.ndarray  # (patterns, levels) 1.0 where the pattern has the level
    plans: np.ndarray  # plans per pattern
    sizes: np.ndarray  # scores per plan of the pattern
    point_sums: np.ndarray  # (patterns, levels)
    plan_totals: np.ndarray  # Σ over plans of the plan's total
    sum_squares: np.ndarray
    plan_total_squares: np.ndarray
    levels: list[int]  # which of the 4 points the columns are

    @property
    def n_scores(self) -> int:
        return int(self.plans @ self.sizes)

    @property
    def residual_df(self) -> int:  # statsmodels' REML factor: observations − fixed effects
        return self.n_scores - len(self.levels)


@dataclass(frozen=True)
class _Gls:
    """GLS at a variance ratio γ; σ² and μ profiled out (unscaled covariance V = I + γ11ᵀ)."""

    ratio: float
    shrink: np.ndarray  # c = γ / (1 + γn): V⁻¹ = I − c11ᵀ
    weight: np.ndarray  # a = 1 / (1 + γn): V⁻¹1 = a1
    xtvix: np.ndarray  # XᵀV⁻¹X
    means: np.ndarray  # μ̂, the GLS level means
    rvir: float  # rᵀV⁻¹r at μ̂ = (n − p)σ̂²
    residual_totals: np.ndarray  # per pattern Σ over plans of 1ᵀr
    residual_total_squares: np.ndarray  # per pattern Σ over plans of (1ᵀr)²


def fit(patterns: Iterable[PatternStats], *, higher_is_better: bool = False) -> ModelFit:
    """Fit the §5 mixed model; mean_change is the week-12 change signed as improvement. "no data" when
    the week-12 coefficient is not estimable (no baseline or no week-12 score, no plans); "not
    converged" when the point reached has no finite, invertible information (σ² = 0, singular) or no
    positive variance for the week-12 change."""
    data = _stack(patterns)
    n_plans, n_scores = (int(data.plans.sum()), data.n_scores) if data else (0, 0)
    if data is None or not {BASELINE, WEEK_12} <= set(data.levels):
        return ModelFit(None, None, n_plans, n_scores, "no data")
    change = _week12_change(data)
    if change is None:
        return ModelFit(None, None, n_plans, n_scores, "not converged")
    estimate, variance = change
    sign = 1.0 if higher_is_better else -1.0
    half_width = Z95 * math.sqrt(variance)  # the normal quantile, as statsmodels' conf_int uses
    ci95 = sorted([sign * (estimate - half_width), sign * (estimate + half_width)])
    return ModelFit(sign * estimate, ci95, n_plans, n_scores, "converged")


def _stack(patterns: Iterable[PatternStats]) -> _Data | None:
    rows = [p for p in patterns if p.n_plans > 0 and any(p.points)]
    if not rows:
        return None
    design = np.array([p.points for p in rows], dtype=float)
    levels = [k for k in range(POINTS) if design[:, k].any()]
    point_sums = np.array([p.point_sums for p in rows], dtype=float)
    return _Data(
        design=design[:, levels],
        plans=np.array([p.n_plans for p in rows], dtype=float),
        sizes=design.sum(axis=1),
        point_sums=point_sums[:, levels],
        plan_totals=point_sums.sum(axis=1),
        sum_squares=np.array([p.sum_squares for p in rows], dtype=float),
        plan_total_squares=np.array([p.sum_plan_total_squares for p in rows], dtype=float),
        levels=levels,
    )


def _week12_change(data: _Data) -> tuple[float, float] | None:
    """β(week 12) and its Wald variance; None where the fit has no finite answer (information not
    invertible, or no positive variance)."""
    if not _residual_variance_positive(data):
        return None
    gls = _gls(data, _reml_ratio(data))
    if not math.isfinite(gls.ratio) or _residual_negligible(data, gls):
        return None
    contrast = np.zeros(len(data.levels))
    contrast[data.levels.index(WEEK_12)] = 1.0
    contrast[data.levels.index(BASELINE)] = -1.0
    variance = _contrast_variance(data, gls, contrast)
    if variance is None:
        return None
    return float(contrast @ gls.means), variance


def _residual_variance_positive(data: _Data) -> bool:
    """All scores on their level means (e.g. all identical) leave σ² = 0 at every γ: the information
    is singular and no Wald interval exists (statsmodels divides by zero there)."""
    if data.residual_df <= 0:
        return False
    return _gls(data, 0.0).rvir > SINGULAR * float(data.sum_squares.sum())


def _residual_negligible(data: _Data, gls: _Gls) -> bool:
    """σ̂² ≈ 0 (scores constant within plans, γ̂ → ∞): the information has no finite value; statsmodels
    prints an interval of round-off width from wherever its optimiser stopped."""
    n = data.n_scores
    scores_variance = (float(data.sum_squares.sum()) - float(data.plan_totals.sum()) ** 2 / n) / n
    return gls.rvir / data.residual_df <= NEGLIGIBLE_RESIDUAL * scores_variance


def _gls(data: _Data, ratio: float) -> _Gls:
    shrink = ratio / (1.0 + ratio * data.sizes)
    weight = 1.0 / (1.0 + ratio * data.sizes)
    design, plans, totals = data.design, data.plans, data.plan_totals
    xtvix = np.diag(plans @ design) - (design.T * (plans * shrink)) @ design
    xtviy = data.point_sums.sum(axis=0) - design.T @ (shrink * totals)
    means = np.linalg.solve(xtvix, xtviy)
    fitted_totals = design @ means  # a plan's fitted total, per pattern
    residual_totals = totals - plans * fitted_totals
    residual_total_squares = data.plan_total_squares - 2 * fitted_totals * totals + plans * fitted_totals**2
    residual_squares = data.sum_squares - 2 * data.point_sums @ means + plans * (design @ means**2)
    rvir = float(residual_squares.sum() - shrink @ residual_total_squares)
    return _Gls(ratio, shrink, weight, xtvix, means, rvir, residual_totals, residual_total_squares)


def _reml_loglike(data: _Data, ratio: float) -> float:
    """The REML profile log-likelihood at γ, constants included, as statsmodels' `MixedLM.loglike`."""
    gls = _gls(data, ratio)
    if gls.rvir <= 0:
        return -math.inf
    _, logdet = np.linalg.slogdet(gls.xtvix)
    df = data.residual_df
    log_det_v = data.plans @ np.log1p(ratio * data.sizes)
    kernel = log_det_v + df * math.log(gls.rvir) + logdet
    return -0.5 * float(kernel + df * math.log(2 * math.pi) - df * math.log(df) + df)


def _reml_score(data: _Data, ratio: float) -> float:
    """d loglike / dγ = −½(tr V⁻¹V' − (n − p)·rᵀV⁻¹V'V⁻¹r / rᵀV⁻¹r − tr (XᵀV⁻¹X)⁻¹XᵀV⁻¹V'V⁻¹X), V' = 11ᵀ."""
    gls = _gls(data, ratio)
    a = gls.weight
    log_det_v = (data.plans * data.sizes) @ a
    quadratic = data.residual_df * float(a**2 @ gls.residual_total_squares) / gls.rvir
    xtax = (data.design.T * (data.plans * a**2)) @ data.design
    reml = float(np.trace(np.linalg.solve(gls.xtvix, xtax)))
    return -0.5 * float(log_det_v - quadratic - reml)


def _reml_ratio(data: _Data) -> float:
    """γ̂ searched as statsmodels' `MixedLM.fit` searches it, so that the fit stops where statsmodels'
    does: over L = √γ from 1, minimising −loglike / n with scipy's BFGS, then L-BFGS, then CG, each from
    where the previous stopped, until one reports convergence.

    Followed to the letter because near the boundary τ² = 0 an exact maximiser gives other numbers:
    on the √γ scale the gradient vanishes as γ → 0, and statsmodels' gradient is that of |L| (it
    rebuilds L from γ), so its line search crosses to L < 0 and stops there, at a small γ > 0, often
    with its convergence flag unset. The interval then differs from the exact REML maximum (γ = 0) by
    about 10⁻³, enough to miss the third decimal §5 asks to agree on. Its flags there flip with
    round-off, its stopping point does not; so the flags only steer the chain, as in statsmodels,
    and whether the fit has an answer is judged from the information at the point reached."""
    from scipy import optimize  # here, not at import: loading scipy costs every process a second

    n = data.n_scores

    def objective(root):
        return -_reml_loglike(data, float(root[0]) ** 2) / n

    def gradient(root):
        return np.array([-2 * abs(float(root[0])) * _reml_score(data, float(root[0]) ** 2) / n])

    common = {"gtol": GTOL, "norm": np.inf, "maxiter": MAXITER, "full_output": True, "disp": False}
    root, *_, warnflag = optimize.fmin_bfgs(objective, np.array([1.0]), gradient, **common)
    if warnflag:
        root, _, info = optimize.fmin_l_bfgs_b(objective, root, gradient, maxiter=MAXITER, bounds=[(None, None)])
        if info["warnflag"]:
            root, *_ = optimize.fmin_cg(objective, root, gradient, **common)
    return float(root[0]) ** 2


def _contrast_variance(data: _Data, gls: _Gls, contrast: np.ndarray) -> float | None:
    """Wald variance of contrastᵀμ̂ from the inverse negative Hessian in (μ, γ), as statsmodels'
    `MixedLM.hessian`/`cov_params`: fixed-effect block A, cross term b, γ entry d; by block inversion
    the μ block of the inverse is A⁻¹ + A⁻¹bbᵀA⁻¹ / (d − bᵀA⁻¹b)."""
    fixed, cross, ratio_info, ratio_scale = _information(data, gls)
    if not (np.isfinite(fixed).all() and np.isfinite(cross).all() and math.isfinite(ratio_info)):
        return None
    try:
        fixed_inv_contrast = np.linalg.solve(fixed, contrast)
        fixed_inv_cross = np.linalg.solve(fixed, cross)
    except np.linalg.LinAlgError:
        return None
    pivot = ratio_info - cross @ fixed_inv_cross
    if abs(pivot) <= SINGULAR * (ratio_scale + abs(cross @ fixed_inv_cross)):
        return None
    variance = float(contrast @ fixed_inv_contrast + (cross @ fixed_inv_contrast) ** 2 / pivot)
    return variance if math.isfinite(variance) and variance > 0 else None


def _information(data: _Data, gls: _Gls) -> tuple[np.ndarray, np.ndarray, float, float]:
    """The negative Hessian of the REML profile log-likelihood at (μ̂, γ̂), as statsmodels forms it,
    with each per-plan sum of `MixedLM.hessian` written in the pattern statistics (for a random
    intercept dV/dγ = 11ᵀ and V⁻¹1 = a1). Returns A, b, d and the size of d's terms."""
    plans, sizes, design = data.plans, data.sizes, data.design
    a, df, rvir = gls.weight, data.residual_df, gls.rvir
    fixed = df * gls.xtvix / rvir
    cross = df * design.T @ (a**2 * gls.residual_totals) / rvir
    score_part = a**2 @ gls.residual_total_squares  # statsmodels' B
    curvature_part = 2 * (sizes * a**3) @ gls.residual_total_squares  # statsmodels' D
    logdet_part = 0.5 * (plans * sizes**2) @ a**2
    xtax = (design.T * (plans * a**2)) @ design
    xtfx = (design.T * (2 * plans * sizes * a**3)) @ design  # statsmodels' F
    ql = np.linalg.solve(gls.xtvix, xtax)
    reml_part = 0.5 * (np.trace(ql @ ql) - np.trace(np.linalg.solve(gls.xtvix, xtfx)))
    likelihood_part = 0.5 * df * (curvature_part / rvir - score_part**2 / rvir**2)
    hessian = logdet_part - likelihood_part + reml_part
    scale = abs(logdet_part) + abs(likelihood_part) + abs(reml_part)
    return fixed, cross, -float(hessian), float(scale)
