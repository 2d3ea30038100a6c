"""Adherence in the database (clinical-reference §4), for one plan and for many at once.

moverx_weekly_adherence(plan_ids, as_of): one row per plan week 1..12 that has started by `as_of`
(a local date; NULL means each patient's local today), with
  target T(w): the largest times_per_week among prescription versions active at any moment of the
               week (a version is active from its valid_from until the next version, or until the
               plan's discharge); NULL when no prescription was active;
  done D(w):   sessions, not superseded, whose local date falls in the week;
  adherence:   min(D, T) / T; NULL without a target;
  ended:       the week ended by `as_of`.
moverx_plan_adherence(plan_id, as_of): the mean of a(w) over weeks with a target that have ended.
Weeks start on the plan's start date and are counted in the patient's local dates.
"""

from django.db import migrations

WEEKLY = r"""
CREATE OR REPLACE FUNCTION moverx_weekly_adherence(plan_ids bigint[], as_of date DEFAULT NULL)
RETURNS TABLE (plan_id bigint, week integer, week_start date, week_end date,
               target integer, done integer, adherence numeric, ended boolean)
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
    targets AS (
        SELECT wk.plan_id, wk.week, MAX(v.times_per_week)::integer AS target
        FROM weeks wk
        JOIN versions v ON v.plan_id = wk.plan_id
        WHERE v.status = 'active' AND v.valid_from < wk.ends_at
          AND (v.valid_to IS NULL OR v.valid_to > wk.starts_at)
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
           t.target, COALESCE(d.done, 0),
           LEAST(COALESCE(d.done, 0), t.target)::numeric / t.target,
           wk.next_week_start <= wk.as_of
    FROM weeks wk
    LEFT JOIN targets t ON t.plan_id = wk.plan_id AND t.week = wk.week
    LEFT JOIN done d ON d.plan_id = wk.plan_id AND d.week = wk.week
    ORDER BY wk.plan_id, wk.week
$fn$;
"""

PLAN = r"""
CREATE OR REPLACE FUNCTION moverx_plan_adherence(plan_id bigint, as_of date DEFAULT NULL)
RETURNS numeric
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    SELECT AVG(w.adherence)
    FROM moverx_weekly_adherence(ARRAY[plan_id], as_of) AS w
    WHERE w.target IS NOT NULL AND w.ended
$fn$;
"""


class Migration(migrations.Migration):
    dependencies = [("exercises", "0002_load_library"), ("careplans", "0001_initial"), ("patients", "0001_initial")]

    operations = [
        migrations.RunSQL(WEEKLY, "DROP FUNCTION IF EXISTS moverx_weekly_adherence(bigint[], date);"),
        migrations.RunSQL(PLAN, "DROP FUNCTION IF EXISTS moverx_plan_adherence(bigint, date);"),
    ]
