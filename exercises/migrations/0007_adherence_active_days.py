"""Paused and discharged days lower the weekly target (clinical-reference §4, v2).

A(w), `active_days`: the days of plan week w on which the plan was active, i.e. neither paused nor
discharged, from the plan's lifecycle history (careplans_statuschange: a pause lasts from the change to
`paused` until the plan's next status change; a discharge from `discharged_at` on), in the patient's
local dates. A day counts as active only when the plan was active for the WHOLE local day: a day on
which the plan was paused, resumed or discharged at any moment is not counted. Of the two readings this
is the one that never penalises the patient for a day they could not (fully) exercise; a session done on
such a day still counts in D(w). Days before activation are not taken out: §4 names only pauses and the
discharge, and T(w) already requires an active prescription.

`full_target` is T(w) as before; `target` is now the effective target ceil(T(w) × A(w) ÷ 7), NULL when
T(w) is NULL or A(w) = 0 (the week has no target and is left out of the plan figure); `adherence` uses it.
Set-based for many plans at once: the inactive moments of each plan become merged ranges of local days
(one range_agg per plan), intersected with each week's days.
"""

from importlib import import_module

from django.db import migrations

PREVIOUS = import_module("exercises.migrations.0004_adherence_skips_versions_never_in_effect")
PLAN = import_module("exercises.migrations.0003_adherence_functions").PLAN
DROP_WEEKLY = "DROP FUNCTION IF EXISTS moverx_weekly_adherence(bigint[], date);"

WEEKLY = r"""
CREATE FUNCTION moverx_weekly_adherence(plan_ids bigint[], as_of date DEFAULT NULL)
RETURNS TABLE (plan_id bigint, week integer, week_start date, week_end date,
               target integer, done integer, adherence numeric, ended boolean,
               active_days integer, full_target integer)
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    WITH plans AS (
        SELECT cp.id AS plan_id, cp.start_date, cp.discharged_at, p.timezone,
               COALESCE(as_of, (now() AT TIME ZONE p.timezone)::date) AS as_of
        FROM careplans_careplan cp
        JOIN patients_patient p ON p.id = cp.patient_id
        WHERE cp.id = ANY(plan_ids)
    ),
    weeks AS (
        SELECT pl.plan_id, pl.as_of, w.week,
               pl.start_date + 7 * (w.week - 1) AS week_start,
               pl.start_date + 7 * w.week AS next_week_start,
               daterange(pl.start_date + 7 * (w.week - 1), pl.start_date + 7 * w.week) AS days,
               (pl.start_date + 7 * (w.week - 1))::timestamp AT TIME ZONE pl.timezone AS starts_at,
               (pl.start_date + 7 * w.week)::timestamp AT TIME ZONE pl.timezone AS ends_at
        FROM plans pl
        CROSS JOIN generate_series(1, 12) AS w(week)
        WHERE pl.start_date + 7 * (w.week - 1) <= pl.as_of
    ),
    versions AS (
        SELECT pr.care_plan_id AS plan_id, v.status, v.times_per_week, v.valid_from,
               LEAST(LEAD(v.valid_from) OVER (PARTITION BY v.prescription_id ORDER BY v.version),
                     pl.discharged_at) AS valid_to
        FROM exercises_prescriptionversion v
        JOIN exercises_prescription pr ON pr.id = v.prescription_id
        JOIN plans pl ON pl.plan_id = pr.care_plan_id
    ),
    full_targets AS (
        SELECT wk.plan_id, wk.week, MAX(v.times_per_week)::integer AS full_target
        FROM weeks wk
        JOIN versions v ON v.plan_id = wk.plan_id
        WHERE v.status = 'active' AND v.valid_from < wk.ends_at
          AND (v.valid_to IS NULL OR v.valid_to > wk.starts_at)
          AND (v.valid_to IS NULL OR v.valid_to > v.valid_from)
        GROUP BY wk.plan_id, wk.week
    ),
    history AS (
        SELECT sc.care_plan_id AS plan_id, sc.to_status, sc.changed_at,
               LEAD(sc.changed_at) OVER (PARTITION BY sc.care_plan_id ORDER BY sc.changed_at, sc.id) AS next_change
        FROM careplans_statuschange sc
        JOIN plans pl ON pl.plan_id = sc.care_plan_id
    ),
    inactive AS (  -- moments the plan was not active: [from, until), until NULL = from then on
        SELECT plan_id, changed_at AS from_at, next_change AS until
        FROM history WHERE to_status = 'paused'
        UNION ALL
        SELECT plan_id, discharged_at, NULL FROM plans WHERE discharged_at IS NOT NULL
    ),
    -- clinical-reference §4 (v2): a day is active only when the plan was active for the whole local
    -- day. Every local day touched by an inactive moment (a pause, resumption or discharge at any time
    -- of it) is left out of A(w), so no target is ever set for a day the patient could not fully use.
    inactive_days AS (  -- those days, merged into disjoint ranges per plan
        SELECT i.plan_id, unnest(range_agg(daterange(
                   (i.from_at AT TIME ZONE pl.timezone)::date,
                   u.last_day + CASE WHEN u.last_day::timestamp AT TIME ZONE pl.timezone >= i.until
                                     THEN 0 ELSE 1 END))) AS days
        FROM inactive i
        JOIN plans pl ON pl.plan_id = i.plan_id
        CROSS JOIN LATERAL (SELECT (i.until AT TIME ZONE pl.timezone)::date AS last_day) u
        WHERE i.until IS NULL OR i.until > i.from_at  -- a pause undone at once never paused the plan
        GROUP BY i.plan_id
    ),
    days_out AS (  -- per week touched by them: how many of its days
        SELECT wk.plan_id, wk.week, SUM(upper(wk.days * i.days) - lower(wk.days * i.days))::integer AS days_out
        FROM inactive_days i
        JOIN weeks wk ON wk.plan_id = i.plan_id AND wk.days && i.days
        GROUP BY wk.plan_id, wk.week
    ),
    done AS (
        SELECT s.care_plan_id AS plan_id,
               ((s.performed_at AT TIME ZONE pl.timezone)::date - pl.start_date) / 7 + 1 AS week,
               COUNT(*)::integer AS done
        FROM exercises_exercisesession s
        JOIN plans pl ON pl.plan_id = s.care_plan_id
        WHERE s.superseded_at IS NULL
          AND (s.performed_at AT TIME ZONE pl.timezone)::date >= pl.start_date
        GROUP BY 1, 2
    )
    SELECT wk.plan_id, wk.week, wk.week_start, wk.next_week_start - 1,
           e.target, COALESCE(d.done, 0),
           LEAST(COALESCE(d.done, 0), e.target)::numeric / e.target,
           wk.next_week_start <= wk.as_of,
           a.active_days, t.full_target
    FROM weeks wk
    LEFT JOIN full_targets t ON t.plan_id = wk.plan_id AND t.week = wk.week
    LEFT JOIN days_out o ON o.plan_id = wk.plan_id AND o.week = wk.week
    LEFT JOIN done d ON d.plan_id = wk.plan_id AND d.week = wk.week
    CROSS JOIN LATERAL (SELECT 7 - COALESCE(o.days_out, 0) AS active_days) a
    CROSS JOIN LATERAL (SELECT NULLIF((t.full_target * a.active_days + 6) / 7, 0) AS target) e  -- ceil(T × A ÷ 7)
    ORDER BY wk.plan_id, wk.week
$fn$;
"""


class Migration(migrations.Migration):
    dependencies = [("exercises", "0006_audit_triggers_hardened"), ("careplans", "0001_initial")]

    operations = [
        migrations.RunSQL([DROP_WEEKLY, WEEKLY, PLAN], [DROP_WEEKLY, PREVIOUS.NEVER_EMPTY, PLAN]),
    ]
