"""The 12-week change report, exactly as clinical-reference §5 describes it, computed in PostgreSQL.

Four queries, each set-based over the whole cohort: (1) per domain, baseline and follow-up picked
with DISTINCT ON and aggregated (GROUPING SETS give the overall and per-segment figures at once);
(2) the distribution of percent improvement; (3) adherence from `moverx_weekly_adherence` (§4);
(4) the pain curve. Python only turns the handful of aggregate rows into the named figures (shares,
the t-interval) and never loops over patients.
"""

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from patients.clinical import ACUTE_BEFORE_DAYS, SUBACUTE_BEFORE_DAYS

# clinical-reference §5 (windows, in days from the plan start S, local dates)
BASELINE_WINDOW = (-14, 7)
BASELINE_TARGET = 0
FOLLOWUP_WINDOW = (70, 98)
FOLLOWUP_TARGET = 84
MATURE_AFTER_DAYS = 98
PAIN_CURVE_WEEKS = range(0, 13)
DISTRIBUTION_EDGES = list(range(-100, 101, 10))  # percent improvement, 10-point bins


@dataclass(frozen=True)
class Domain:
    name: str
    instrument: str
    floor: Decimal  # §5 inclusion floor on the baseline
    floor_strict: bool  # True: baseline > floor; False: baseline >= floor
    mcid: Decimal  # §3 points threshold for `responders_mcid`


DOMAINS = [
    Domain("pain", "nprs", Decimal(0), True, Decimal(2)),  # NPRS: Childs 2005, >= 2 points
    Domain("function", "odi", Decimal(0), True, Decimal(10)),  # ODI: Ostelo 2008, >= 10 points
    Domain("depression", "phq9", Decimal(5), False, Decimal(5)),  # PHQ-9: Löwe 2004, >= 5 points
    Domain("anxiety", "gad7", Decimal(5), False, Decimal(4)),  # GAD-7: Toussaint 2020, >= 4 points
]
REMISSION_FROM, REMISSION_BELOW = 10, 5  # depression: baseline >= 10 whose follow-up < 5 (§5)

SEGMENT_SQL = {
    "": "NULL::text",
    "episode_type": f"""CASE WHEN cp.start_date - p.pain_onset_date < {ACUTE_BEFORE_DAYS} THEN 'acute'
                             WHEN cp.start_date - p.pain_onset_date < {SUBACUTE_BEFORE_DAYS} THEN 'subacute'
                             ELSE 'chronic' END""",
    "pt": "cp.lead_pt_id::text",
    "coach": "COALESCE(p.coach_id::text, 'none')",
}


@dataclass(frozen=True)
class ReportInputs:
    start_from: dt.date
    start_to: dt.date
    as_of: dt.date
    clinic_id: int | None = None
    segment_by: str = ""
    domains: tuple[str, ...] = tuple(domain.name for domain in DOMAINS)


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


def _domains_sql(inputs: ReportInputs) -> str:
    rows = ", ".join(f"({number}, '{d.instrument}')" for number, d in _numbered(inputs))
    return f"domains (domain_no, instrument) AS (VALUES {rows})"


def _numbered(inputs: ReportInputs) -> list[tuple[int, Domain]]:
    """Domains travel through the big sorts as small integers; names come back at the end."""
    return [(number, d) for number, d in enumerate(DOMAINS, start=1) if d.name in inputs.domains]


def _by_domain(inputs: ReportInputs, values: dict[str, str]) -> str:
    """A CASE over `domain_no` giving each domain's SQL value (a name, a floor test, an MCID)."""
    whens = " ".join(f"WHEN {number} THEN {values[d.name]}" for number, d in _numbered(inputs))
    return f"CASE domain_no {whens} END"


def _candidates_sql(inputs: ReportInputs) -> str:
    """Assessments of each domain's instrument whose local date falls in the baseline or the
    follow-up window, read in one pass, with the point they could serve, their distance in days
    from its target date, and whether the score meets the domain's baseline floor."""
    (b_low, b_high), (f_low, f_high) = BASELINE_WINDOW, FOLLOWUP_WINDOW
    floors = {d.name: f"score {'>' if d.floor_strict else '>='} {d.floor}" for d in DOMAINS}
    return f"""
        SELECT plan_id, segment, domain_no, score, collected_at, day <= {b_high} AS is_baseline,
               abs(day - CASE WHEN day <= {b_high} THEN {BASELINE_TARGET} ELSE {FOLLOWUP_TARGET} END) AS distance,
               {_by_domain(inputs, floors)} AS meets_floor
        FROM (
            SELECT c.plan_id, c.segment, d.domain_no, a.score, a.collected_at,
                   (a.collected_at AT TIME ZONE c.tz)::date - c.s AS day
            FROM cohort c
            CROSS JOIN domains d
            JOIN outcomes_assessment a
              ON a.patient_id = c.patient_id AND a.instrument = d.instrument AND a.superseded_at IS NULL
             AND a.collected_at >= (c.s + {b_low})::timestamp AT TIME ZONE c.tz
             AND a.collected_at < (c.s + {f_high + 1})::timestamp AT TIME ZONE c.tz
        ) dated
        WHERE day BETWEEN {b_low} AND {b_high} OR day BETWEEN {f_low} AND {f_high}"""


def _per_plan_sql(inputs: ReportInputs) -> str:
    """One row per cohort plan and domain that has a baseline or a follow-up: the picks, inclusion
    and change. (A plan with neither is neither included nor a completer, so it needs no row.)"""
    names = {d.name: f"'{d.name}'" for d in DOMAINS}
    mcids = {d.name: str(d.mcid) for d in DOMAINS}
    return f"""
        WITH {_cohort_sql(inputs)},
        {_domains_sql(inputs)},
        picked AS (
            -- nearest to the target date; on a tie, the earlier (§5)
            SELECT DISTINCT ON (plan_id, domain_no, is_baseline) plan_id, domain_no, is_baseline, segment, score,
                   meets_floor
            FROM ({_candidates_sql(inputs)}) candidates
            ORDER BY plan_id, domain_no, is_baseline, distance, collected_at
        ),
        per_plan AS (
            -- grouped in the order DISTINCT ON already sorted by: no second sort
            SELECT plan_id, domain_no, MIN(segment) AS segment,
                   MAX(score) FILTER (WHERE is_baseline) AS baseline,
                   MAX(score) FILTER (WHERE NOT is_baseline) AS followup,
                   COALESCE(bool_or(meets_floor) FILTER (WHERE is_baseline), false) AS included
            FROM picked GROUP BY plan_id, domain_no
        ),
        changes AS (
            SELECT per_plan.*, {_by_domain(inputs, names)} AS domain, {_by_domain(inputs, mcids)} AS mcid,
                   included AND followup IS NOT NULL AS completer,
                   baseline - followup AS improvement,
                   (baseline - followup) / NULLIF(baseline, 0) * 100 AS pct
            FROM per_plan
        )"""


def _grouping(inputs: ReportInputs, *keys: str) -> tuple[str, str, str]:
    """(segment column, overall flag, GROUP BY clause): per segment too only when asked for."""
    if not inputs.segment_by:
        return "NULL::text", "true", "GROUP BY " + ", ".join(keys)
    with_segment = ", ".join((*keys, "segment"))
    return "segment", "GROUPING(segment) = 1", f"GROUP BY GROUPING SETS (({', '.join(keys)}), ({with_segment}))"


def _figures_query(inputs: ReportInputs) -> str:
    c = "FILTER (WHERE completer)"
    segment, overall, group_by = _grouping(inputs, "domain")
    return f"""{_per_plan_sql(inputs)}
        SELECT domain, {segment}, {overall} AS overall,
               COUNT(*) FILTER (WHERE included), COUNT(*) {c},
               AVG(baseline) {c}, AVG(followup) {c}, AVG(improvement) {c}, AVG(pct) {c},
               percentile_cont(0.5) WITHIN GROUP (ORDER BY pct) {c}, stddev_samp(pct) {c},
               COUNT(*) FILTER (WHERE completer AND improvement >= mcid),
               COUNT(*) FILTER (WHERE completer AND pct >= 30), COUNT(*) FILTER (WHERE completer AND pct >= 50),
               COUNT(*) FILTER (WHERE completer AND baseline >= {REMISSION_FROM}),
               COUNT(*) FILTER (WHERE completer AND baseline >= {REMISSION_FROM} AND followup < {REMISSION_BELOW})
        FROM changes
        {group_by}"""


def _distribution_query(inputs: ReportInputs) -> str:
    edges = "ARRAY[" + ",".join(str(edge) for edge in DISTRIBUTION_EDGES) + "]::numeric[]"
    segment, overall, group_by = _grouping(inputs, "domain", "bucket")
    return f"""{_per_plan_sql(inputs)}
        SELECT domain, {segment}, {overall}, width_bucket(pct, {edges}) AS bucket, COUNT(*)
        FROM changes WHERE completer
        {group_by}"""


def _adherence_query(inputs: ReportInputs) -> str:
    return f"""
        WITH {_cohort_sql(inputs)},
        weeks AS (
            SELECT w.*, c.segment FROM moverx_weekly_adherence(ARRAY(SELECT plan_id FROM cohort), %(as_of)s::date) w
            JOIN cohort c ON c.plan_id = w.plan_id
        ),
        plans AS (
            SELECT plan_id, segment,
                   AVG(adherence) FILTER (WHERE target IS NOT NULL AND ended) AS plan_adherence,
                   SUM(done) FILTER (WHERE week <= 12)::numeric / 12 AS sessions_per_week
            FROM weeks GROUP BY plan_id, segment
        )
        SELECT 'plan' AS kind, segment, GROUPING(segment) = 1, NULL::int AS week,
               AVG(plan_adherence), AVG(sessions_per_week), COUNT(plan_adherence), COUNT(*)
        FROM plans GROUP BY GROUPING SETS ((), (segment))
        UNION ALL
        SELECT 'week', segment, GROUPING(segment) = 1, week,
               AVG(adherence) FILTER (WHERE target IS NOT NULL), NULL, COUNT(adherence), COUNT(*)
        FROM weeks GROUP BY GROUPING SETS ((week), (segment, week))"""


def _pain_curve_query(inputs: ReportInputs) -> str:
    first, last = PAIN_CURVE_WEEKS.start, PAIN_CURVE_WEEKS.stop - 1
    return f"""
        WITH {_cohort_sql(inputs)},
        scored AS (
            SELECT DISTINCT ON (c.plan_id, week) c.plan_id, c.segment, week, a.score
            FROM cohort c
            JOIN outcomes_assessment a
              ON a.patient_id = c.patient_id AND a.instrument = 'nprs' AND a.superseded_at IS NULL
             AND a.collected_at >= (c.s + {7 * (first - 1)})::timestamp AT TIME ZONE c.tz
             AND a.collected_at < (c.s + {7 * last})::timestamp AT TIME ZONE c.tz
            CROSS JOIN LATERAL (
                SELECT floor(((a.collected_at AT TIME ZONE c.tz)::date - c.s) / 7.0)::int + 1 AS week
            ) w
            ORDER BY c.plan_id, week, a.collected_at DESC  -- the last score in each week (§5)
        )
        SELECT segment, GROUPING(segment) = 1, week, AVG(score), COUNT(*)
        FROM scored GROUP BY GROUPING SETS ((week), (segment, week))"""


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _number(value) -> float | None:
    return None if value is None else float(value)


def _share(part, whole) -> float | None:
    return None if not whole else part / whole


def _figures(row: tuple, domain: str) -> dict:
    (_, _, _, n_included, n_completers, mean_baseline, mean_followup, mean_improvement, mean_pct, median_pct,
     sd_pct, n_mcid, n_30, n_50, n_remission_base, n_remitted) = row
    ci = None
    if n_completers >= 2:
        from scipy import stats  # here, not at import: loading scipy costs every process a second

        half = stats.t.ppf(0.975, n_completers - 1) * float(sd_pct) / math.sqrt(n_completers)
        ci = [float(mean_pct) - half, float(mean_pct) + half]
    figures = {
        "n_included": n_included,
        "n_completers": n_completers,
        "completion_rate": _share(n_completers, n_included),
        "mean_baseline": _number(mean_baseline),
        "mean_followup": _number(mean_followup),
        "mean_improvement": _number(mean_improvement),
        "mean_percent_improvement": _number(mean_pct),
        "percent_improvement_of_means": None if not mean_baseline else
        float((mean_baseline - mean_followup) / mean_baseline * 100),
        "median_percent_improvement": _number(median_pct),
        "ci95_mean_percent_improvement": ci,
        "responders_mcid": _share(n_mcid, n_completers),
        "responders_30": _share(n_30, n_completers),
        "responders_50": _share(n_50, n_completers),
        "responders_mcid_all_included": _share(n_mcid, n_included),
    }
    if domain == "depression":
        figures["remission"] = _share(n_remitted, n_remission_base)
    return figures


def _empty_figures(domain: str) -> dict:
    return _figures((None, None, None, 0, 0, None, None, None, None, None, None, 0, 0, 0, 0, 0), domain)


def _distribution(rows: list[tuple], domain: str, segment) -> list[dict]:
    counts = {bucket: n for d, s, overall, bucket, n in rows if d == domain and (overall if segment is None
                                                                               else s == segment)}
    edges = [-math.inf, *DISTRIBUTION_EDGES, math.inf]
    return [{"from": None if math.isinf(edges[i]) else edges[i], "to": None if math.isinf(edges[i + 1])
             else edges[i + 1], "n": counts.get(i, 0)} for i in range(len(edges) - 1)]


def domain_figures(inputs: ReportInputs) -> dict[str, dict]:
    """The §5 figures of the cohort as a whole, per domain: the report's first query alone."""
    rows = _fetch(_figures_query(inputs), _params(inputs))
    return {row[0]: _figures(row, row[0]) for row in rows if row[2]}


def compute(inputs: ReportInputs, progress: Callable[[int], None] = lambda percent: None) -> dict:
    """Every figure of §5 for the inputs; `progress(percent)` is told as each query finishes."""
    params = _params(inputs)
    progress(5)
    figure_rows = _fetch(_figures_query(inputs), params)
    progress(40)
    distribution_rows = _fetch(_distribution_query(inputs), params)
    progress(60)
    adherence_rows = _fetch(_adherence_query(inputs), params)
    progress(80)
    curve_rows = _fetch(_pain_curve_query(inputs), params)
    progress(95)
    n_plans = next((row[7] for row in adherence_rows if row[0] == "plan" and row[2]), 0)

    def view(segment=None) -> dict:
        def pick(rows, key_index=1, overall_index=2):
            return [r for r in rows if (r[overall_index] if segment is None else
                                        (not r[overall_index] and r[key_index] == segment))]

        domain_rows = {r[0]: r for r in pick(figure_rows)}
        results = {d: _figures(domain_rows[d], d) if d in domain_rows else _empty_figures(d)
                   for d in inputs.domains}
        for d in inputs.domains:
            results[d]["percent_improvement_distribution"] = _distribution(distribution_rows, d, segment)
        adherence = pick(adherence_rows)
        plan_row = next((r for r in adherence if r[0] == "plan"), None)
        weekly = {r[3]: r for r in adherence if r[0] == "week"}
        curve = {r[2]: r for r in pick(curve_rows, key_index=0, overall_index=1)}
        return {
            "results": results,
            "adherence": {
                "mean_plan_adherence": _number(plan_row[4]) if plan_row else None,
                "mean_sessions_per_week": _number(plan_row[5]) if plan_row else None,
                "n_plans": plan_row[6] if plan_row else 0,
                "weekly": [{"week": w, "mean_adherence": _number(weekly[w][4]) if w in weekly else None,
                            "n": weekly[w][6] if w in weekly else 0} for w in range(1, 13)],
            },
            "pain_curve": [{"week": w, "mean_nprs": _number(curve[w][3]) if w in curve else None,
                            "n": curve[w][4] if w in curve else 0} for w in PAIN_CURVE_WEEKS],
        }

    snapshot = {"n_plans": n_plans, **view()}
    snapshot["segments"] = []
    if inputs.segment_by:
        keys = sorted({r[1] for r in figure_rows if not r[2]} | {r[1] for r in adherence_rows if not r[2]})
        snapshot["segments"] = [{"segment": key, **view(key)} for key in keys]
    progress(100)
    return snapshot
