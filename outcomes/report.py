"""The 12-week report, exactly as clinical-reference §5 (method version 2) describes it, in PostgreSQL.

One pass picks every plan's time-point scores and its last observation (ordered array_agg per plan
and domain, §5 time points) into a temporary table of one row per plan and domain; the figures are
then aggregates over that table, overall and per segment at once (GROUPING SETS): the flow and
completer figures, the two order statistics of the median's interval, the percent distribution, the
mixed model's sufficient statistics per pattern, the pain curve and PGIC; adherence comes from
`moverx_weekly_adherence` (§4). Python only turns the handful of aggregate rows into the named figures
(`outcomes.intervals`, `outcomes.mixed_model`) and never loops over patients.
"""

import datetime as dt
import math
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from accounts.models import User
from careplans.schedule import TIME_POINTS
from outcomes import intervals, mixed_model
from patients.clinical import episode_type_sql

METHOD_VERSION = "2"
POINTS = TIME_POINTS  # clinical-reference §5 (v2): (day from the plan start S, window), local dates
FOLLOWUP = len(POINTS) - 1
MATURE_AFTER_DAYS = 98
LOCF_DAYS = (1, 98)  # §5: the last assessment in (S, S + 98]
PAIN_CURVE_WEEKS = range(0, 13)
DISTRIBUTION_EDGES = list(range(-100, 101, 10))  # percent improvement, 10-point bins
SMALL_CELL = 10  # §5: a figure computed over fewer plans is suppressed
PGIC_IMPROVED_UP_TO = 2  # §1: PGIC 1–2 improved
RESPONSE_FROM, REMISSION_BELOW, RESPONSE_PERCENT = 10, 5, 50  # §3 PHQ-9 (baseline >= 10)
PERCENT_MCID = 30  # §3: NPRS and ODI also respond at >= 30%
PERCENT_30, PERCENT_50 = 30, 50  # §3: responders_30 / responders_50 (IMMPACT moderate / substantial)
NO_COACH = "none"  # the coach segment of plans whose patient has no coach


@dataclass(frozen=True)
class Domain:
    name: str
    instrument: str
    floor: Decimal  # §5 (v2) inclusion floor on the baseline (>=, or <= when higher is better)
    symptom: Decimal  # §5 sensitivity line: any symptom (>, or < when higher is better)
    mcid: Decimal  # §3 points
    mcid_percent: bool  # §3: "or >= 30%"
    deterioration: Decimal  # §3 (v2) points worse
    higher_is_better: bool = False


DOMAINS = [
    Domain("pain", "nprs", Decimal(4), Decimal(0), Decimal(2), True, Decimal(2)),  # IMMPACT; Childs 2005
    Domain("function", "odi", Decimal(20), Decimal(0), Decimal(10), True, Decimal(10)),  # Ostelo 2008
    Domain("depression", "phq9", Decimal(5), Decimal(0), Decimal(5), False, Decimal(5)),  # Löwe 2004
    Domain("anxiety", "gad7", Decimal(5), Decimal(0), Decimal(4), False, Decimal(4)),  # Toussaint 2020
    Domain("psfs", "psfs", Decimal(8), Decimal(10), Decimal(2), False, Decimal(2), True),  # Stratford 1995
]
# PGIC rides along the domains' picks (§5: its week-12 window and pick rule); it has no figures of its own.
PGIC = Domain("pgic", "pgic", Decimal(0), Decimal(0), Decimal(0), False, Decimal(0))

SEGMENT_SQL = {
    "": "NULL::text",
    "episode_type": episode_type_sql(onset="p.pain_onset_date", start="cp.start_date"),
    "pt": "cp.lead_pt_id::text",
    "coach": f"COALESCE(p.coach_id::text, '{NO_COACH}')",
}


@dataclass(frozen=True)
class ReportInputs:
    start_from: dt.date
    start_to: dt.date
    as_of: dt.date
    clinic_id: int | None = None
    segment_by: str = ""
    domains: tuple[str, ...] = tuple(domain.name for domain in DOMAINS)

    def asked_domains(self) -> list[Domain]:
        return [d for d in DOMAINS if d.name in self.domains]

    def picked_domains(self) -> list[Domain]:
        """What the full report picks: the domains asked for, pain too (the pain curve's week 0 is its
        baseline pick), and PGIC."""
        return [d for d in DOMAINS if d.name in self.domains or d.name == "pain"] + [PGIC]


def _cohort_sql(inputs: ReportInputs) -> str:
    """The cohort CTE (§5): activated plans of the clinic whose start lies in the range and that
    are mature (S + 98 days <= the report date)."""
    return f"""
        cohort AS (
            SELECT cp.id AS plan_id, cp.patient_id, cp.start_date AS s, p.timezone AS tz,
                   {SEGMENT_SQL[inputs.segment_by]} AS segment
            FROM careplans_careplan cp
            JOIN patients_patient p ON p.id = cp.patient_id
            WHERE cp.activated_at IS NOT NULL
              AND cp.start_date BETWEEN %(start_from)s AND %(start_to)s
              AND cp.start_date + {MATURE_AFTER_DAYS} <= %(as_of)s
              AND (%(clinic_id)s::bigint IS NULL OR p.clinic_id = %(clinic_id)s::bigint)
        )"""


def _params(inputs: ReportInputs) -> dict:
    return {"start_from": inputs.start_from, "start_to": inputs.start_to, "as_of": inputs.as_of,
            "clinic_id": inputs.clinic_id}


def _domains_sql(domains: list[Domain]) -> str:
    rows = ", ".join(
        f"('{d.name}', '{d.instrument}', {d.floor}, {d.symptom}, {d.mcid}, {d.mcid_percent}, {d.deterioration}, "
        f"{d.higher_is_better})" for d in domains)
    return f"""domains (domain, instrument, floor, symptom, mcid, mcid_percent, deterioration, higher_is_better)
               AS (VALUES {rows})"""


def _picks_sql() -> str:
    """p0..p3: each §5 time point's score, the first of its window's assessments in the pick order."""
    return ", ".join(
        f"(array_agg(score ORDER BY abs(day - {day}), day, collected_at DESC, id DESC) "
        f"FILTER (WHERE day BETWEEN {low} AND {high}))[1] AS p{n}" for n, (day, (low, high)) in enumerate(POINTS))


def _plans_sql(inputs: ReportInputs, domains: list[Domain]) -> str:
    """One row per cohort plan and picked domain that has any assessment between S − 14 and S + 98:
    the four time-point scores, the LOCF follow-up and what §3/§5 derive from them."""
    picks = _picks_sql()
    first_day, last_day = POINTS[0][1][0], max(POINTS[-1][1][1], LOCF_DAYS[1])
    instruments = ", ".join(f"'{d.instrument}'" for d in domains)
    return f"""
        WITH {_cohort_sql(inputs)},
        {_domains_sql(domains)},
        dated AS (
            SELECT c.plan_id, c.segment, d.domain, a.id, a.score, a.collected_at,
                   (a.collected_at AT TIME ZONE c.tz)::date - c.s AS day
            FROM cohort c
            CROSS JOIN domains d
            JOIN outcomes_assessment a
              ON a.patient_id = c.patient_id AND a.instrument = d.instrument AND a.superseded_at IS NULL
             AND a.instrument IN ({instruments})  -- spelled out: the planner filters the scan by it
             AND a.collected_at >= (c.s + {first_day})::timestamp AT TIME ZONE c.tz
             AND a.collected_at < (c.s + {last_day + 1})::timestamp AT TIME ZONE c.tz
        ),
        scores AS (
            -- §5 (v2) picks: nearest to the point's day; a tie in days, the earlier day; same day, the last
            -- collected. LOCF: the last assessment of the instrument in (S, S + 98].
            SELECT plan_id, domain, MIN(segment) AS segment, {picks},
                   (array_agg(score ORDER BY collected_at DESC, id DESC)
                       FILTER (WHERE day BETWEEN {LOCF_DAYS[0]} AND {LOCF_DAYS[1]}))[1] AS last_observed
            FROM dated GROUP BY plan_id, domain
        ),
        judged AS (
            SELECT s.*, d.mcid, d.mcid_percent, d.deterioration,
                   p0 AS baseline, p{FOLLOWUP} AS followup,
                   CASE WHEN d.higher_is_better THEN p0 <= d.floor ELSE p0 >= d.floor END AS included,
                   CASE WHEN d.higher_is_better THEN p0 < d.symptom ELSE p0 > d.symptom END AS symptomatic,
                   COALESCE(p{FOLLOWUP}, last_observed, p0) AS followup_locf,
                   d.higher_is_better
            FROM scores s JOIN domains d USING (domain)
        ),
        changed AS (
            SELECT judged.*,
                   CASE WHEN higher_is_better THEN followup - baseline ELSE baseline - followup END AS improvement,
                   CASE WHEN higher_is_better THEN followup_locf - baseline ELSE baseline - followup_locf END
                       AS improvement_locf
            FROM judged
        )
        SELECT plan_id, domain, segment, p0, p1, p2, p3, baseline, followup,
               COALESCE(included, false) AS included, COALESCE(symptomatic, false) AS symptomatic,
               COALESCE(included, false) AND followup IS NOT NULL AS completer,
               COALESCE(symptomatic, false) AND followup IS NOT NULL AS symptomatic_completer,
               improvement, improvement_locf,
               CASE WHEN NOT higher_is_better THEN improvement / NULLIF(baseline, 0) * 100 END AS pct,
               CASE WHEN NOT higher_is_better THEN improvement_locf / NULLIF(baseline, 0) * 100 END AS pct_locf,
               -- §3: points, or percent where §3 says so (compared without division: exact)
               improvement >= mcid OR (mcid_percent AND improvement * 100 >= {PERCENT_MCID} * baseline) AS responder,
               improvement_locf >= mcid OR (mcid_percent AND improvement_locf * 100 >= {PERCENT_MCID} * baseline)
                   AS responder_locf,
               improvement <= -deterioration AS deteriorated,
               NOT higher_is_better AND improvement * 100 >= {PERCENT_30} * baseline AS improved_30,
               NOT higher_is_better AND improvement * 100 >= {PERCENT_50} * baseline AS improved_50
        FROM changed"""


TABLE = "report_plans"


def _grouping(inputs: ReportInputs, *keys: str) -> tuple[str, str, str]:
    """(segment column, overall flag, GROUP BY clause): per segment too only when asked for."""
    if not inputs.segment_by:
        return "NULL::text", "true", "GROUP BY " + ", ".join(keys) if keys else ""
    with_segment = ", ".join((*keys, "segment"))
    return "segment", "GROUPING(segment) = 1", f"GROUP BY GROUPING SETS (({', '.join(keys)}), ({with_segment}))"


def _completer_columns(who: str, prefix: str = "") -> dict[str, str]:
    """§5 completer figures' columns over the plans `who` names: the completers, or (prefix
    "sensitivity.") the completers of every plan with any symptom."""
    over = f"FILTER (WHERE {who})"
    columns = {
        "n_completers": f"COUNT(*) {over}",
        "mean_baseline": f"AVG(baseline) {over}",
        "mean_followup": f"AVG(followup) {over}",
        "mean_improvement": f"AVG(improvement) {over}",
        "sd_improvement": f"stddev_samp(improvement) {over}",
        "mean_percent_improvement": f"AVG(pct) {over}",
        "sd_percent_improvement": f"stddev_samp(pct) {over}",
        "median_percent_improvement": f"percentile_cont(0.5) WITHIN GROUP (ORDER BY pct) {over}",
        "n_responders": f"COUNT(*) FILTER (WHERE {who} AND responder)",
        "n_30": f"COUNT(*) FILTER (WHERE {who} AND improved_30)",
        "n_50": f"COUNT(*) FILTER (WHERE {who} AND improved_50)",
        "n_deteriorated": f"COUNT(*) FILTER (WHERE {who} AND deteriorated)",
    }
    return {f"{prefix}{name}": sql for name, sql in columns.items()}


SENSITIVITY = "sensitivity."
COMPLETERS = {"": "completer", SENSITIVITY: "symptomatic_completer"}  # §5: the line's plans, by prefix
# Columns of the figures query, in order; `i`: over the included plans.
FIGURE_COLUMNS = {
    "n_with_baseline": "COUNT(baseline)",
    "n_included": "COUNT(*) FILTER (WHERE included)",
    "mean_baseline_non_completers": "AVG(baseline) FILTER (WHERE included AND NOT completer)",
    **_completer_columns(COMPLETERS[""]),
    "mean_improvement_locf": "AVG(improvement_locf) {i}",
    "sd_improvement_locf": "stddev_samp(improvement_locf) {i}",
    "mean_percent_improvement_locf": "AVG(pct_locf) {i}",
    "sd_percent_improvement_locf": "stddev_samp(pct_locf) {i}",
    "n_responders_locf": "COUNT(*) FILTER (WHERE included AND responder_locf)",
    "n_response_base": f"COUNT(*) FILTER (WHERE completer AND baseline >= {RESPONSE_FROM})",
    "n_response": f"COUNT(*) FILTER (WHERE completer AND baseline >= {RESPONSE_FROM} "
                  f"AND improvement * 100 >= {RESPONSE_PERCENT} * baseline)",
    "n_remission": f"COUNT(*) FILTER (WHERE completer AND baseline >= {RESPONSE_FROM} "
                   f"AND followup < {REMISSION_BELOW})",
    f"{SENSITIVITY}n_included": "COUNT(*) FILTER (WHERE symptomatic)",
    **_completer_columns(COMPLETERS[SENSITIVITY], SENSITIVITY),
    "n_pgic": "COUNT(followup)",
    "n_pgic_improved": f"COUNT(*) FILTER (WHERE followup <= {PGIC_IMPROVED_UP_TO})",
}
FILTERS = {"i": "FILTER (WHERE included)"}


def _figures_query(inputs: ReportInputs) -> str:
    segment, overall, group_by = _grouping(inputs, "domain")
    columns = ", ".join(sql.format(**FILTERS) for sql in FIGURE_COLUMNS.values())
    return f"SELECT domain, {segment}, {overall}, {columns} FROM {TABLE} {group_by}"


def _median_bounds_query(who: str) -> str:
    """The values at the given ranks of the percent improvements of the plans `who` names (completers),
    per domain and view (segment NULL: the cohort as a whole), from a window over the table (no
    per-plan rows leave SQL)."""
    return f"""
        WITH wanted (domain, segment, rank) AS (SELECT * FROM unnest(%(r_domain)s::text[], %(r_segment)s::text[],
                                                                     %(r_rank)s::int[])),
        ranked AS (
            SELECT domain, segment, pct,
                   row_number() OVER (PARTITION BY domain ORDER BY pct) AS overall_rank,
                   row_number() OVER (PARTITION BY domain, segment ORDER BY pct) AS segment_rank
            FROM {TABLE} WHERE {who} AND pct IS NOT NULL AND domain = ANY(%(r_domain)s::text[])
        )
        SELECT w.domain, w.segment, w.rank, r.pct FROM wanted w JOIN ranked r ON r.domain = w.domain
         AND CASE WHEN w.segment IS NULL THEN r.overall_rank = w.rank
                  ELSE r.segment = w.segment AND r.segment_rank = w.rank END"""


def _distribution_query(inputs: ReportInputs) -> str:
    edges = "ARRAY[" + ",".join(str(edge) for edge in DISTRIBUTION_EDGES) + "]::numeric[]"
    segment, overall, group_by = _grouping(inputs, "domain", "bucket")
    return f"""
        SELECT domain, {segment}, {overall}, width_bucket(pct, {edges}) AS bucket, COUNT(*)
        FROM {TABLE} WHERE completer AND pct IS NOT NULL
        {group_by}"""


def _patterns_query(inputs: ReportInputs) -> str:
    """clinical-reference §5 mixed model: per domain, view and pattern (which time points a plan has),
    the sufficient statistics of outcomes.mixed_model.PatternStats over the included plans."""
    has = [f"p{n} IS NOT NULL" for n in range(len(POINTS))]
    keys = [f"has{n}" for n in range(len(POINTS))]
    segment, overall, group_by = _grouping(inputs, "domain", *keys)
    total = " + ".join(f"COALESCE(p{n}, 0)" for n in range(len(POINTS)))
    squares = " + ".join(f"COALESCE(p{n} * p{n}, 0)" for n in range(len(POINTS)))
    return f"""
        SELECT domain, {segment}, {overall}, {", ".join(keys)}, COUNT(*),
               {", ".join(f"COALESCE(SUM(p{n}), 0)" for n in range(len(POINTS)))},
               SUM({squares}), SUM(({total}) * ({total}))
        FROM (SELECT *, {", ".join(f"{h} AS {k}" for h, k in zip(has, keys, strict=True))}
              FROM {TABLE} WHERE included AND domain <> '{PGIC.name}') plans
        {group_by}"""


def _plan_counts_query(inputs: ReportInputs) -> str:
    segment, overall, group_by = _grouping(inputs)
    return f"WITH {_cohort_sql(inputs)} SELECT {segment}, {overall}, COUNT(*) FROM cohort {group_by}"


def _adherence_query(inputs: ReportInputs) -> str:
    """§4 (v2): per plan, adherence and sessions per week over weeks 1..12 that have a target and have
    ended by the report date; then their means, and the weekly curve."""
    counted = "FILTER (WHERE target IS NOT NULL AND ended AND week <= 12)"
    return f"""
        WITH {_cohort_sql(inputs)},
        weeks AS (
            SELECT w.*, c.segment FROM moverx_weekly_adherence(ARRAY(SELECT plan_id FROM cohort), %(as_of)s::date) w
            JOIN cohort c ON c.plan_id = w.plan_id
        ),
        plans AS (
            SELECT plan_id, segment, AVG(adherence) {counted} AS plan_adherence,
                   SUM(done) {counted}::numeric / NULLIF(COUNT(*) {counted}, 0) AS sessions_per_week
            FROM weeks GROUP BY plan_id, segment
        )
        SELECT 'plan' AS kind, segment, GROUPING(segment) = 1, NULL::int AS week,
               AVG(plan_adherence), AVG(sessions_per_week), COUNT(plan_adherence), COUNT(sessions_per_week)
        FROM plans GROUP BY GROUPING SETS ((), (segment))
        UNION ALL
        SELECT 'week', segment, GROUPING(segment) = 1, week,
               AVG(adherence) FILTER (WHERE target IS NOT NULL), NULL, COUNT(adherence), NULL
        FROM weeks WHERE week <= 12 GROUP BY GROUPING SETS ((week), (segment, week))"""


def _pain_curve_query(inputs: ReportInputs) -> str:
    """§5 (v2): week w's value is the plan's last NPRS in days [S + 7w − 6, S + 7w]; week 0's its baseline."""
    last = PAIN_CURVE_WEEKS.stop - 1
    return f"""
        WITH {_cohort_sql(inputs)},
        weekly AS (
            SELECT DISTINCT ON (c.plan_id, week) c.plan_id, c.segment, week, a.score
            FROM cohort c
            JOIN outcomes_assessment a
              ON a.patient_id = c.patient_id AND a.instrument = 'nprs' AND a.superseded_at IS NULL
             AND a.collected_at >= (c.s + 1)::timestamp AT TIME ZONE c.tz
             AND a.collected_at < (c.s + {7 * last + 1})::timestamp AT TIME ZONE c.tz
            CROSS JOIN LATERAL (SELECT ((a.collected_at AT TIME ZONE c.tz)::date - c.s + 6) / 7 AS week) w
            ORDER BY c.plan_id, week, a.collected_at DESC, a.id DESC
        ),
        scored AS (
            SELECT segment, week, score FROM weekly
            UNION ALL
            SELECT segment, 0, baseline FROM {TABLE} WHERE domain = 'pain' AND baseline IS NOT NULL
        )
        SELECT segment, GROUPING(segment) = 1, week, AVG(score), COUNT(*)
        FROM scored GROUP BY GROUPING SETS ((week), (segment, week))"""


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _number(value) -> float | None:
    return None if value is None else float(value)


def _share(part, whole) -> float | None:
    return None if not whole else part / whole


@contextmanager
def _plans_table(inputs: ReportInputs, params: dict, domains: list[Domain]):
    """The per-plan picks as a temporary table of this connection, read by every figure query."""
    _fetch(f"DROP TABLE IF EXISTS {TABLE}", {})
    _fetch(f"CREATE TEMPORARY TABLE {TABLE} AS {_plans_sql(inputs, domains)}", params)
    try:
        yield
    finally:
        _fetch(f"DROP TABLE IF EXISTS {TABLE}", {})


def _view_key(segment, overall) -> tuple | None:
    """None: the cohort as a whole; (segment,): one segment."""
    return None if overall else (segment,)


def _figure_rows(inputs: ReportInputs, params: dict) -> dict[tuple, dict]:
    """{(domain, view key): {column: value}} from the figures query."""
    return {(row[0], _view_key(row[1], row[2])): dict(zip(FIGURE_COLUMNS, row[3:], strict=True))
            for row in _fetch(_figures_query(inputs), params)}


def _median_bounds(params: dict, figure_rows: dict) -> dict[tuple, list[float]]:
    """{(prefix, domain, view key): [x(j), x(k)]} for the median's interval (intervals.median_ranks), of
    the completers (prefix "") and of the sensitivity line's completers."""
    return {(prefix, *key): value for prefix in COMPLETERS
            for key, value in _median_bounds_of(params, figure_rows, prefix).items()}


def _median_bounds_of(params: dict, figure_rows: dict, prefix: str) -> dict[tuple, list[float]]:
    wanted = []
    for (domain, key), row in figure_rows.items():
        ranks = intervals.median_ranks(row[f"{prefix}n_completers"]) if domain in PERCENT_DOMAINS else None
        wanted += [(domain, key, ranks, rank) for rank in ranks or ()]
    if not wanted:
        return {}
    rows = _fetch(_median_bounds_query(COMPLETERS[prefix]), {
        **params, "r_domain": [w[0] for w in wanted], "r_segment": [w[1] and w[1][0] for w in wanted],
        "r_rank": [w[3] for w in wanted]})
    values = {(domain, _view_key(segment, segment is None), rank): pct for domain, segment, rank, pct in rows}
    return {(domain, key): [float(values[domain, key, ranks[0]]), float(values[domain, key, ranks[1]])]
            for domain, key, ranks, rank in wanted if rank == ranks[0]}


def _distributions(inputs: ReportInputs, params: dict) -> dict[tuple, dict[int, int]]:
    counts: dict[tuple, dict[int, int]] = {}
    for domain, segment, overall, bucket, n in _fetch(_distribution_query(inputs), params):
        counts.setdefault((domain, _view_key(segment, overall)), {})[bucket] = n
    return counts


def _model_fits(inputs: ReportInputs, params: dict) -> dict[tuple, mixed_model.ModelFit]:
    """§5 mixed model per domain and view, from the pattern statistics (outcomes.mixed_model)."""
    patterns: dict[tuple, list] = {}
    for domain, segment, overall, *row in _fetch(_patterns_query(inputs), params):
        has, (n_plans, *sums, squares, total_squares) = row[:len(POINTS)], row[len(POINTS):]
        patterns.setdefault((domain, _view_key(segment, overall)), []).append(mixed_model.PatternStats(
            points=tuple(has), n_plans=n_plans, point_sums=tuple(float(v) for v in sums),
            sum_squares=float(squares), sum_plan_total_squares=float(total_squares)))
    higher = {d.name: d.higher_is_better for d in DOMAINS}
    return {view: mixed_model.fit(stats, higher_is_better=higher[view[0]]) for view, stats in patterns.items()}


def _by_view(rows, key_index: int, overall_index: int) -> dict[tuple | None, list[tuple]]:
    grouped: dict = {}
    for row in rows:
        grouped.setdefault(_view_key(row[key_index], row[overall_index]), []).append(row)
    return grouped


PERCENT_DOMAINS = {d.name for d in DOMAINS if not d.higher_is_better}
# clinical-reference §5 small cells: which n each figure is computed over. The sensitivity line repeats
# every completer figure (§5) over its own completers.
SENSITIVITY_FIGURES = [
    "mean_baseline", "mean_followup", "mean_improvement", "ci95_mean_improvement", "mean_percent_improvement",
    "ci95_mean_percent_improvement", "percent_improvement_of_means", "median_percent_improvement",
    "ci95_median_percent_improvement", "responders_mcid", "ci95_responders_mcid", "responders_30",
    "ci95_responders_30", "responders_50", "ci95_responders_50", "deteriorated", "ci95_deteriorated"]
COMPLETER_FIGURES = ["mean_baseline_completers", *SENSITIVITY_FIGURES, "percent_improvement_distribution"]
INCLUDED_FIGURES = [
    "completion_rate", "ci95_completion_rate", "responders_mcid_all_included", "responders_mcid_nri",
    "ci95_responders_mcid_nri", "mean_improvement_locf", "ci95_mean_improvement_locf",
    "mean_percent_improvement_locf", "ci95_mean_percent_improvement_locf", "responders_mcid_locf",
    "ci95_responders_mcid_locf"]


def _suppressed(figures: dict) -> list[str]:
    """§5: every figure with a value computed over fewer than SMALL_CELL plans (the value stays in the
    snapshot; a figure without a value, e.g. an interval over one plan, has nothing to hide)."""
    over = {name: figures["n_completers"] for name in COMPLETER_FIGURES}
    over |= {name: figures["n_included"] for name in INCLUDED_FIGURES}
    over["mean_baseline_non_completers"] = figures["n_included"] - figures["n_completers"]
    over |= {name: figures["model_n_plans"] for name in ("model_mean_change", "ci95_model_mean_change")}
    if "n_response_base" in figures:
        over |= {name: figures["n_response_base"] for name in ("response", "ci95_response", "remission",
                                                                "ci95_remission")}
    over |= {f"{SENSITIVITY}{name}": figures["sensitivity"]["n_completers"] for name in SENSITIVITY_FIGURES}
    return [name for name, n in over.items() if n < SMALL_CELL and _value(figures, name) not in (None, [])]


def _value(figures: dict, name: str):
    """A figure by its listed name ("sensitivity.mean_improvement" is one level down)."""
    for part in name.split("."):
        figures = figures[part]
    return figures


def _mean_interval(row: dict, figure: str, n: int, prefix: str = "") -> list[float] | None:
    sd_name = f"{prefix}sd_{figure.removeprefix(prefix).removeprefix('mean_')}"
    return intervals.t_interval(_number(row[figure]), _number(row[sd_name]), n)


def _with_share(figures: dict, name: str, part: int, whole: int) -> None:
    figures[name] = _share(part, whole)
    figures[f"ci95_{name}"] = intervals.wilson(part, whole)


def _completer_figures(r: dict, percent: bool, bounds: list[float] | None, prefix: str = "") -> dict:
    """§5 completer figures from the figures row; prefix "sensitivity." reads the sensitivity line's."""
    n = r[f"{prefix}n_completers"]
    mean_baseline, mean_followup = r[f"{prefix}mean_baseline"], r[f"{prefix}mean_followup"]
    figures = {
        "mean_baseline": _number(mean_baseline),
        "mean_followup": _number(mean_followup),
        "mean_improvement": _number(r[f"{prefix}mean_improvement"]),
        "ci95_mean_improvement": _mean_interval(r, f"{prefix}mean_improvement", n, prefix),
        "mean_percent_improvement": _number(r[f"{prefix}mean_percent_improvement"]) if percent else None,
        "ci95_mean_percent_improvement":
            _mean_interval(r, f"{prefix}mean_percent_improvement", n, prefix) if percent else None,
        "percent_improvement_of_means": float((mean_baseline - mean_followup) / mean_baseline * 100)
        if percent and mean_baseline else None,
        "median_percent_improvement": _number(r[f"{prefix}median_percent_improvement"]) if percent else None,
        "ci95_median_percent_improvement": bounds,
    }
    _with_share(figures, "responders_mcid", r[f"{prefix}n_responders"], n)
    for threshold in (30, 50):
        _with_share(figures, f"responders_{threshold}", r[f"{prefix}n_{threshold}"], n if percent else 0)
    _with_share(figures, "deteriorated", r[f"{prefix}n_deteriorated"], n)
    return figures


def _included_figures(r: dict, percent: bool) -> dict:
    ni = r["n_included"]
    figures = {"completion_rate": _share(r["n_completers"], ni),
               "ci95_completion_rate": intervals.wilson(r["n_completers"], ni),
               "responders_mcid_all_included": _share(r["n_responders"], ni),
               "mean_improvement_locf": _number(r["mean_improvement_locf"]),
               "ci95_mean_improvement_locf": _mean_interval(r, "mean_improvement_locf", ni),
               "mean_percent_improvement_locf": _number(r["mean_percent_improvement_locf"]) if percent else None,
               "ci95_mean_percent_improvement_locf":
                   _mean_interval(r, "mean_percent_improvement_locf", ni) if percent else None}
    _with_share(figures, "responders_mcid_nri", r["n_responders"], ni)  # §5 non-responder imputation
    _with_share(figures, "responders_mcid_locf", r["n_responders_locf"], ni)
    return figures


def _sensitivity(r: dict, percent: bool, bounds: list[float] | None) -> dict:
    """§5: the completer figures again, for every plan with any symptom (no baseline floor)."""
    return {"n_included": r[f"{SENSITIVITY}n_included"], "n_completers": r[f"{SENSITIVITY}n_completers"],
            **_completer_figures(r, percent, bounds, SENSITIVITY)}


def _model_figures(fit: mixed_model.ModelFit) -> dict:
    return {"model_mean_change": fit.mean_change, "ci95_model_mean_change": fit.ci95,
            "model_n_plans": fit.n_plans, "model_n_scores": fit.n_scores, "model_status": fit.status}


def _distribution(counts: dict[int, int], percent: bool) -> list[dict]:
    if not percent:
        return []  # PSFS has no percent improvement (§5)
    edges = [-math.inf, *DISTRIBUTION_EDGES, math.inf]
    return [{"from": None if math.isinf(edges[i]) else edges[i], "to": None if math.isinf(edges[i + 1])
             else edges[i + 1], "n": counts.get(i, 0)} for i in range(len(edges) - 1)]


def _empty_row() -> dict:
    return {name: 0 if name.split(".")[-1].startswith("n_") else None for name in FIGURE_COLUMNS}


NO_FIT = mixed_model.ModelFit(mean_change=None, ci95=None, n_plans=0, n_scores=0, status="no data")


def _domain_figures(domain: Domain, n_plans: int, row: dict | None, bounds: dict, distribution,
                    fit: mixed_model.ModelFit | None) -> dict:
    """Every §5 figure of one domain in one view; `bounds` the median's interval by prefix."""
    r = row or _empty_row()
    percent = not domain.higher_is_better
    figures = {"n_plans": n_plans, "n_with_baseline": r["n_with_baseline"], "n_included": r["n_included"],
               "n_completers": r["n_completers"], "mean_baseline_completers": _number(r["mean_baseline"]),
               "mean_baseline_non_completers": _number(r["mean_baseline_non_completers"]),
               **_completer_figures(r, percent, bounds.get("")), **_included_figures(r, percent),
               "percent_improvement_distribution": _distribution(distribution or {}, percent),
               **_model_figures(fit or NO_FIT), "sensitivity": _sensitivity(r, percent, bounds.get(SENSITIVITY))}
    if domain.name == "depression":  # §3: among completers with baseline >= 10
        figures["n_response_base"] = r["n_response_base"]
        _with_share(figures, "response", r["n_response"], r["n_response_base"])
        _with_share(figures, "remission", r["n_remission"], r["n_response_base"])
    figures["suppressed_figures"] = _suppressed(figures)
    figures["suppressed"] = bool(figures["suppressed_figures"])
    return figures


def domain_figures(inputs: ReportInputs) -> dict[str, dict]:
    """The §5 completer and flow figures of the cohort as a whole, per domain (no model, no segments)."""
    params = _params(inputs)
    with _plans_table(inputs, params, inputs.asked_domains()):
        rows = _figure_rows(inputs, params)
        bounds = _median_bounds(params, rows)
    n_plans = _fetch(_plan_counts_query(inputs), params)[0][2]
    return {d.name: _domain_figures(d, n_plans, rows.get((d.name, None)), _bounds_of(bounds, d, None), None, None)
            for d in inputs.asked_domains()}


def _bounds_of(bounds: dict, domain: Domain, key) -> dict:
    return {prefix: bounds.get((prefix, domain.name, key)) for prefix in COMPLETERS}


def _adherence(rows: list[tuple]) -> dict:
    plan_row = next((r for r in rows if r[0] == "plan"), None)
    weekly = {r[3]: r for r in rows if r[0] == "week"}
    return {
        "mean_plan_adherence": _number(plan_row[4]) if plan_row else None,
        "mean_sessions_per_week": _number(plan_row[5]) if plan_row else None,
        "n_plans": plan_row[6] if plan_row else 0,
        "weekly": [{"week": w, "mean_adherence": _number(weekly[w][4]) if w in weekly else None,
                    "n": weekly[w][6] if w in weekly else 0} for w in range(1, 13)],
    }


def _pain_curve(rows: list[tuple]) -> list[dict]:
    curve = {r[2]: r for r in rows}
    return [{"week": w, "mean_nprs": _number(curve[w][3]) if w in curve else None,
             "n": curve[w][4] if w in curve else 0} for w in PAIN_CURVE_WEEKS]


def _pgic(row: dict | None) -> dict:
    """§5: share of plans with a PGIC in the week-12 window answering 1–2, over plans with one."""
    r = row or _empty_row()
    figures = {"n_pgic": r["n_pgic"]}
    _with_share(figures, "pgic_improved", r["n_pgic_improved"], r["n_pgic"])
    return figures


def _top_suppressed(view: dict) -> list[str]:
    """§5 small cells among the view's own figures (the domains list theirs in `results`)."""
    over = {name: (view[name], view["n_pgic"]) for name in ("pgic_improved", "ci95_pgic_improved")}
    adherence = view["adherence"]
    over |= {f"adherence.{name}": (adherence[name], adherence["n_plans"])
             for name in ("mean_plan_adherence", "mean_sessions_per_week")}
    over |= {f"adherence.weekly[{w['week']}].mean_adherence": (w["mean_adherence"], w["n"])
             for w in adherence["weekly"]}
    over |= {f"pain_curve[{w['week']}].mean_nprs": (w["mean_nprs"], w["n"]) for w in view["pain_curve"]}
    return [name for name, (value, n) in over.items() if n < SMALL_CELL and value is not None]


@dataclass
class _Aggregates:
    """The report's aggregate rows, keyed by (domain, view key) or by view key."""
    figures: dict
    bounds: dict
    distributions: dict
    fits: dict
    adherence: dict
    curve: dict
    plan_counts: dict

    def view(self, inputs: ReportInputs, key) -> dict:
        results = {d.name: _domain_figures(d, self.plan_counts.get(key, 0), self.figures.get((d.name, key)),
                                           _bounds_of(self.bounds, d, key), self.distributions.get((d.name, key)),
                                           self.fits.get((d.name, key)))
                   for d in inputs.asked_domains()}
        view = {"n_plans": self.plan_counts.get(key, 0), "results": results,
                "adherence": _adherence(self.adherence.get(key, [])),
                "pain_curve": _pain_curve(self.curve.get(key, [])),
                **_pgic(self.figures.get((PGIC.name, key)))}
        view["suppressed_figures"] = _top_suppressed(view)
        return view


def _aggregates(inputs: ReportInputs, progress: Callable[[int], None]) -> _Aggregates:
    params = _params(inputs)
    with _plans_table(inputs, params, inputs.picked_domains()):
        progress(30)
        figures = _figure_rows(inputs, params)
        bounds = _median_bounds(params, figures)
        distributions = _distributions(inputs, params)
        progress(45)
        fits = _model_fits(inputs, params)
        progress(60)
        curve = _by_view(_fetch(_pain_curve_query(inputs), params), 0, 1)
    progress(70)
    adherence = _by_view(_fetch(_adherence_query(inputs), params), 1, 2)
    progress(90)
    plan_counts = {_view_key(segment, overall): n
                   for segment, overall, n in _fetch(_plan_counts_query(inputs), params)}
    return _Aggregates(figures, bounds, distributions, fits, adherence, curve, plan_counts)


def _labels(inputs: ReportInputs, keys: list[str]) -> dict[str, str]:
    """§5: PTs and coaches shown by name; "No coach"; episode types by their name."""
    names = {NO_COACH: "No coach"} if inputs.segment_by == "coach" else {}
    if inputs.segment_by in ("pt", "coach"):
        ids = [int(key) for key in keys if key.isdigit()]
        names |= {str(user.pk): str(user) for user in User.objects.filter(pk__in=ids)}
    return {key: names.get(key, key) for key in keys}


def compute(inputs: ReportInputs, progress: Callable[[int], None] = lambda percent: None) -> dict:
    """Every figure of §5 (method version 2) for the inputs; `progress(percent)` is told as the
    queries finish."""
    progress(5)
    aggregates = _aggregates(inputs, progress)
    snapshot = {"method_version": METHOD_VERSION, **aggregates.view(inputs, None), "segments": []}
    if inputs.segment_by:
        keys = sorted(key[0] for key in aggregates.plan_counts if key is not None)
        labels = _labels(inputs, keys)
        snapshot["segments"] = [{"segment": key, "label": labels[key], **aggregates.view(inputs, (key,))}
                                for key in keys]
    progress(100)
    return snapshot
