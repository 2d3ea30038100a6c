"""Synthetic clinics at scale (`manage.py seed_synthetic --patients N`) for benchmarks.

Rows are generated inside PostgreSQL with set-based INSERT ... SELECT over generate_series, in a
handful of statements whatever N is: patients, one plan each (mostly mature, 12-week histories),
3-5 prescriptions, home sessions at a per-patient rate that fades a little, and NPRS, ODI, PHQ-9
and GAD-7 at baseline and weeks 4, 8 and 12, with improvement that follows adherence and a rising
drop-out. Audit triggers are off for the load (one audit row records it); the data are consistent
by construction, and the scores and bands come from the instrument definitions.
"""

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Clinic
from accounts.roles import Role
from accounts.services import clinic_create, clinic_update, staff_create
from core.audit import audit_context
from core.models import AuditEvent
from outcomes.instruments import INSTRUMENTS
from patients.models import Patient

PATIENTS_PER_CLINIC = 5000
CLINIC_TIMEZONE = "America/New_York"
TIMEZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "Europe/London"]
FIRST_NAMES = ["Ana", "Ben", "Chloe", "Diego", "Emma", "Femi", "Grace", "Hiro", "Ines", "Jon", "Kara", "Liam",
               "Mia", "Noah", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tara"]
LAST_NAMES = ["Silva", "Okafor", "Nguyen", "Smith", "Garcia", "Kim", "Novak", "Haddad", "Jones", "Rossi"]
# Scores the generator produces, per instrument (ODI from ten 0-5 answers: even numbers).
SCORES = {"nprs": range(0, 11), "odi": range(0, 101, 2), "phq9": range(0, 25), "gad7": range(0, 22)}


def synthetic_patient_count() -> int:
    return Patient.objects.filter(clinic__name__startswith="Synthetic Clinic").count()


def _clinics(patients: int, password: str) -> list[tuple[int, list[int], list[int], int]]:
    """(clinic id, PT ids, coach ids, integration id) for as many clinics as N needs."""
    clinics = []
    existing = Clinic.objects.filter(name__startswith="Synthetic Clinic").count()
    for number in range(existing + 1, existing + 1 + max(1, -(-patients // PATIENTS_PER_CLINIC))):
        clinic = clinic_create(name=f"Synthetic Clinic {number}", timezone=CLINIC_TIMEZONE)
        # No quiet hours, so that reminder benchmarks do not depend on the time of day they run.
        clinic_update(clinic=clinic, quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0))

        def staff(role, n, clinic=clinic, number=number):
            return [staff_create(email=f"{role}{i}.c{number}@synthetic.moverx.org", password=password, role=role,
                                 clinic=clinic).pk for i in range(n)]

        clinics.append((clinic.pk, staff(Role.PT, 8), staff(Role.COACH, 6), staff(Role.INTEGRATION, 1)[0]))
    return clinics


def seed_synthetic(*, patients: int, now: dt.datetime | None = None, seed: float = 0.42,
                   password: str = "synthetic-password-2026") -> int:  # noqa: S107 - synthetic staff only
    """Add `patients` synthetic patients with their histories; returns how many were added.

    Histories end before `now` (default: the current instant), each counted in the patient's own zone."""
    # Python's clock, not PostgreSQL's now(): one instant for the whole load, and the one tests freeze.
    now = now or timezone.now()
    with audit_context(request_id="seed_synthetic"), transaction.atomic():
        clinics = _clinics(patients, password)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers during the load
            cursor.execute("SELECT setseed(%s)", [seed])
            cursor.execute("CREATE TEMP TABLE synth_staff (slot int, clinic_id bigint, pts bigint[], coaches bigint[],"
                           " app bigint) ON COMMIT DROP")
            cursor.executemany("INSERT INTO synth_staff VALUES (%s, %s, %s, %s, %s)",
                               [(slot, *clinic) for slot, clinic in enumerate(clinics)])
            cursor.execute(_PATIENTS_SQL, {"n": patients, "now": now, "timezones": TIMEZONES,
                                           "first": FIRST_NAMES, "last": LAST_NAMES})
            for statement in (_PLANS_SQL, _PRESCRIPTIONS_SQL, _VERSIONS_SQL, _SESSIONS_SQL):
                cursor.execute(statement, {"now": now})
            cursor.execute(_ASSESSMENTS_SQL, {"now": now, "bands": _bands()})
            cursor.execute("SET LOCAL session_replication_role = origin")
        AuditEvent.objects.create(action=AuditEvent.Action.CREATE, table_name="seed_synthetic",
                                  changes={"patients": patients, "clinics": [c[0] for c in clinics]},
                                  request_id="seed_synthetic")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return patients


def _bands() -> list[str]:
    """instrument:score:band for every score the generator makes, from the instrument definitions."""
    return [f"{code}:{score}:{INSTRUMENTS[code].band(Decimal(score))}" for code, scores in SCORES.items()
            for score in scores]


_PATIENTS_SQL = """
    CREATE TEMP TABLE synth_patients ON COMMIT DROP AS
    SELECT nextval('patients_patient_id_seq') AS patient_id, g, st.clinic_id, st.app,
           st.pts[1 + g %% array_length(st.pts, 1)] AS pt, st.coaches[1 + g %% array_length(st.coaches, 1)] AS coach,
           tz, random() AS keen, random() AS responder, today - floor(random() * 400)::int AS s, today
    FROM generate_series(1, %(n)s) g
    CROSS JOIN LATERAL (SELECT (%(timezones)s::text[])[1 + g %% 5] AS tz) zone
    -- the patient's today, not the server's: at 02:00 UTC it is still yesterday in the US
    CROSS JOIN LATERAL (SELECT (%(now)s::timestamptz AT TIME ZONE zone.tz)::date AS today) local
    JOIN synth_staff st ON st.slot = (g - 1) %% (SELECT count(*) FROM synth_staff);

    INSERT INTO patients_patient (id, clinic_id, first_name, last_name, date_of_birth, sex, email, phone, timezone,
        reminder_channel, reminders_opted_out, pain_region, pain_onset_date, symptoms, red_flags,
        red_flag_status, red_flag_screened_by_id, red_flag_screened_at, red_flag_reviewed_by_id, red_flag_reviewed_at,
        red_flag_review_note, primary_pt_id, coach_id, created_at, updated_at)
    SELECT patient_id, clinic_id, (%(first)s::text[])[1 + g %% 20], (%(last)s::text[])[1 + (g / 20) %% 10],
           today - (7000 + floor(random() * 18000))::int,
           CASE WHEN g %% 2 = 0 THEN 'female' ELSE 'male' END,
           'synthetic' || patient_id || '@example.org', '', tz,
           CASE WHEN g %% 10 < 6 THEN 'email' WHEN g %% 10 < 9 THEN 'sms' ELSE 'none' END, false,
           CASE WHEN g %% 10 < 7 THEN 'low_back' WHEN g %% 10 < 9 THEN 'neck' ELSE 'upper_back' END,
           s - (3 + floor(random() * 700))::int, ARRAY['pain_sitting', 'morning_stiffness'],
           -- every patient screened before the plan (clinical-reference §2, v2): mostly no flag; one in 40
           -- with a flag cleared, one in 40 referred on, so that the plan could be activated
           CASE g %% 40 WHEN 0 THEN ARRAY['history_of_cancer'] WHEN 20 THEN ARRAY['minor_trauma_at_risk']
                ELSE '{}' END,
           CASE g %% 40 WHEN 0 THEN 'cleared' WHEN 20 THEN 'referred' ELSE 'none' END,
           pt, (s - 1)::timestamp AT TIME ZONE tz,
           CASE WHEN g %% 20 = 0 THEN pt END, CASE WHEN g %% 20 = 0 THEN (s - 1)::timestamp AT TIME ZONE tz END,
           CASE WHEN g %% 20 = 0 THEN 'Reviewed at evaluation; no serious pathology suspected.' ELSE '' END,
           pt, coach, %(now)s, %(now)s
    FROM synth_patients;
"""

_PLANS_SQL = """
    CREATE TEMP TABLE synth_plans ON COMMIT DROP AS
    SELECT nextval('careplans_careplan_id_seq') AS plan_id, p.*, 3 + floor(p.keen * 2.99)::int AS times
    FROM synth_patients p;

    INSERT INTO careplans_careplan (id, patient_id, lead_pt_id, status, start_date, planned_weeks, payer,
        referral_required, visit_limit, modalities, equipment, activated_at, discharged_at, version, created_by_id,
        created_at, updated_at)
    SELECT plan_id, patient_id, pt, CASE WHEN s + 84 < today THEN 'discharged' ELSE 'active' END, s, 12,
           'Synthetic', false, NULL, '{}', '{}', s::timestamp AT TIME ZONE tz,
           CASE WHEN s + 84 < today THEN (s + 84)::timestamp AT TIME ZONE tz END, 1, pt, %(now)s, %(now)s
    FROM synth_plans;
"""

_PRESCRIPTIONS_SQL = """
    CREATE TEMP TABLE synth_prescriptions ON COMMIT DROP AS
    WITH library AS (SELECT array_agg(id ORDER BY id) AS ids FROM exercises_exercise WHERE clinic_id IS NULL),
    inserted AS (
        INSERT INTO exercises_prescription (care_plan_id, exercise_id, sets, reps, hold_seconds, times_per_week, side,
            load, notes, start_date, status, version, created_by_id, created_at, updated_at)
        SELECT pl.plan_id, library.ids[1 + (pl.plan_id * 7 + k * 13) %% array_length(library.ids, 1)], 2, 10, NULL,
               pl.times, 'both', '', '', pl.s, 'active', 1, pl.pt, %(now)s, %(now)s
        FROM synth_plans pl CROSS JOIN library CROSS JOIN generate_series(1, 3 + (pl.plan_id %% 3)::int) k
        RETURNING id, care_plan_id, exercise_id, times_per_week
    )
    SELECT inserted.*, pl.s, pl.tz, pl.pt FROM inserted JOIN synth_plans pl ON pl.plan_id = inserted.care_plan_id
"""

_VERSIONS_SQL = """
    INSERT INTO exercises_prescriptionversion (prescription_id, version, exercise_id, status, sets, reps,
        hold_seconds, times_per_week, side, load, notes, valid_from, reason, note, changed_by_id, changed_at)
    SELECT id, 1, exercise_id, 'active', 2, 10, NULL, times_per_week, 'both', '', '',
           s::timestamp AT TIME ZONE tz, 'prescribed', '', pt, s::timestamp AT TIME ZONE tz
    FROM synth_prescriptions
"""

_SESSIONS_SQL = """
    INSERT INTO exercises_exercisesession (patient_id, care_plan_id, performed_at, duration_minutes, pain_during,
        source, external_id, recorded_by_id, created_at, supersede_reason)
    SELECT pl.patient_id, pl.plan_id,
           ((pl.s + d)::timestamp + (6 + floor(random() * 15)) * interval '1 hour') AT TIME ZONE pl.tz,
           15 + floor(random() * 30)::int, floor(random() * 6)::int, 'patient_app', '', pl.app, %(now)s, ''
    FROM synth_plans pl
    CROSS JOIN generate_series(0, 83) d
    WHERE pl.s + d < pl.today
      AND random() < (0.2 + 0.8 * pl.keen) * pl.times / 7.0 * (1 - 0.03 * (d / 7))
"""

_ASSESSMENTS_SQL = """
    WITH bands AS (
        SELECT split_part(b, ':', 1) AS instrument, split_part(b, ':', 2)::int AS score, split_part(b, ':', 3) AS band
        FROM unnest(%(bands)s::text[]) b
    ), points AS (
        SELECT * FROM (VALUES (0, 1.0), (28, 0.9), (56, 0.8), (84, 0.7)) AS v(day, kept)
    ), instruments AS (
        -- baselines of outpatient low back pain: PHQ-9 and GAD-7 mostly minimal to mild (issue 11)
        SELECT * FROM (VALUES ('nprs', 3, 9, 10), ('odi', 10, 60, 100), ('phq9', 1, 14, 24), ('gad7', 1, 12, 21))
            AS v(code, low, high, top)
    ), planned AS (
        SELECT pl.*, pt.day, i.code, i.top,
               -- baseline between low and high; by week 12, up to 70%% better for keen responders
               i.low + (pl.responder * (i.high - i.low)) AS baseline,
               1 - 0.7 * (pt.day / 84.0) * (0.3 + 0.7 * pl.keen) * pl.responder AS factor,
               (pl.s + pt.day + floor(random() * 7)::int - 3) AS on_day
        FROM synth_plans pl CROSS JOIN points pt CROSS JOIN instruments i
        WHERE random() < pt.kept * (0.6 + 0.4 * pl.keen)
    ), scored AS (
        SELECT planned.*, LEAST(top, GREATEST(0, round(baseline * factor + (random() - 0.5) * 2)))::int AS raw
        FROM planned WHERE on_day < today
    ), answered AS (
        SELECT scored.*,
               CASE code WHEN 'odi' THEN raw - raw %% 2 ELSE raw END AS score,
               CASE code
                   WHEN 'nprs' THEN jsonb_build_array(raw)
                   WHEN 'odi' THEN (SELECT jsonb_agg(((raw / 2) + 10 - k) / 10) FROM generate_series(1, 10) k)
                   WHEN 'phq9' THEN (SELECT jsonb_agg(((raw + 8 - k) / 8)) FROM generate_series(1, 8) k)
                                    || jsonb_build_array(0)
                   ELSE (SELECT jsonb_agg((raw + 7 - k) / 7) FROM generate_series(1, 7) k)
               END AS answers
        FROM scored
    )
    INSERT INTO outcomes_assessment (patient_id, care_plan_id, instrument, answers, score, band, collected_at, source,
        external_id, recorded_by_id, created_at, supersede_reason)
    SELECT a.patient_id, a.plan_id, a.code, a.answers, a.score, b.band,
           (a.on_day::timestamp + interval '10 hours') AT TIME ZONE a.tz, 'patient_app', '', a.app, %(now)s, ''
    FROM answered a JOIN bands b ON b.instrument = a.code AND b.score = a.score
"""
