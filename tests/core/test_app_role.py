"""The role the web and the workers connect as (`manage.py grant_app_role`): reads and writes
rows, and nothing more. A real role on the test server, a real connection as that role."""

import datetime as dt
import secrets
from contextlib import contextmanager

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.models import Clinic
from core.management.commands.grant_app_role import guarded_tables
from core.models import AuditEvent
from exercises import services as exercise_services
from exercises.models import Exercise, ExerciseSession
from outcomes import services as outcome_services
from outcomes.models import Assessment
from tests.core.test_truncate import APPEND_ONLY
from tests.factories import CarePlanFactory, today

pytestmark = pytest.mark.django_db(transaction=True)  # the grants must be committed to be seen


@pytest.fixture
def app_role():
    name, password = f"moverx_app_{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    params = {**connection.get_connection_params(), "user": name, "password": password}
    params.pop("cursor_factory", None)  # Django's, not psycopg's
    try:
        with override_settings(DATABASE_APP_URL=f"postgres://{name}:{password}@db.invalid/moverx"):
            call_command("grant_app_role", verbosity=0)
            call_command("grant_app_role", verbosity=0)  # after every migrate: the second run updates the role
        with psycopg.connect(**params, autocommit=True) as app:
            yield app
    finally:  # roles belong to the server, not to the test database
        with connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {name}; DROP ROLE IF EXISTS {name}")


def refused(app, statement: str) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as error:
        app.execute(statement)
    return str(error.value)


def test_the_app_role_reads_and_writes_rows(app_role):
    app_role.execute("INSERT INTO accounts_clinic (name, timezone, reminder_after_days, quiet_hours_start,"
                     " quiet_hours_end, restrict_to_care_team, created_at)"
                     " VALUES ('Role Test Clinic', 'UTC', 2, '20:00', '09:00', false, now())")
    app_role.execute("UPDATE accounts_clinic SET reminder_after_days = 3 WHERE name = 'Role Test Clinic'")
    assert app_role.execute("SELECT count(*) FROM accounts_clinic").fetchone() == (1,)
    assert Clinic.objects.get(name="Role Test Clinic").reminder_after_days == 3
    assert AuditEvent.objects.filter(table_name="accounts_clinic").count() == 2  # its triggers ran too


def test_the_app_role_cannot_change_the_schema_or_empty_a_table(app_role):
    assert "must be owner" in refused(app_role, "ALTER TABLE patients_patient ADD COLUMN x int")
    assert "permission denied for schema" in refused(app_role, "CREATE TABLE intruder (id int)")
    assert "permission denied for table" in refused(app_role, "TRUNCATE patients_patient CASCADE")
    assert "must be owner" in refused(app_role, "DROP TABLE core_auditevent")
    assert "must be owner" in refused(app_role, "ALTER TABLE core_auditevent DISABLE TRIGGER ALL")


def test_the_app_role_cannot_rewrite_append_only_rows_even_past_pgtrigger_ignore(app_role):
    AuditEvent.objects.create(action="read", table_name="patients_patient", object_id=1)
    app_role.execute("SELECT set_config('pgtrigger.ignore', '{}', false)")
    assert "permission denied" in refused(app_role, "UPDATE core_auditevent SET object_id = 2")
    assert "permission denied" in refused(app_role, "DELETE FROM core_auditevent")
    assert "permission denied" in refused(app_role, "DELETE FROM exercises_prescriptionversion")


def test_the_owner_is_not_made_the_app_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="must not be the owner"):
        call_command("grant_app_role", role=owner, verbosity=0)


# --- Every guarded table, past pgtrigger.ignore; the services still work as the app role ----------

CORRECTABLE_FACTS = ["outcomes_assessment", "exercises_exercisesession"]


def ignore_every_trigger(app, table: str) -> None:
    """What a session that wants past pgtrigger's guards sets: the names of all the table's triggers."""
    names = [row[0] for row in app.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass"
                                           " AND NOT tgisinternal", [table]).fetchall()]
    app.execute("SELECT set_config('pgtrigger.ignore', %s, false)", ["{" + ",".join(names) + "}"])


def test_the_tables_the_grants_guard_are_the_append_only_ones():
    refusing_update = {table for table, (refused, _) in guarded_tables().items() if "UPDATE" in refused}
    assert refusing_update == set(APPEND_ONLY)
    assert guarded_tables()["outcomes_assessment"] == ({"UPDATE", "DELETE"}, {"superseded_at"})
    assert guarded_tables()["outcomes_outcomereport"] == ({"DELETE"}, set())  # its own no_delete trigger


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_no_append_only_row_is_deleted_or_rewritten_past_pgtrigger_ignore(app_role, table):
    ignore_every_trigger(app_role, table)
    assert "permission denied" in refused(app_role, f"DELETE FROM {table}")  # noqa: S608
    assert "permission denied" in refused(app_role, f"UPDATE {table} SET id = id")  # noqa: S608


def test_an_assessment_and_a_session_survive_the_app_role_past_pgtrigger_ignore(app_role, patient, pt):
    assessment, _ = outcome_services.assessment_record(actor=pt, patient=patient, instrument="nprs", answers=[5],
                                                       collected_at=timezone.now(), source="clinic")
    session = session_for(patient, pt)
    for table in CORRECTABLE_FACTS:
        ignore_every_trigger(app_role, table)
        assert "permission denied" in refused(app_role, f"DELETE FROM {table}")  # noqa: S608
        assert "permission denied" in refused(app_role, f"UPDATE {table} SET supersede_reason = 'rewritten'")  # noqa: S608
    assert Assessment.objects.filter(pk=assessment.pk, supersede_reason="").exists()
    assert ExerciseSession.objects.filter(pk=session.pk, supersede_reason="").exists()


def test_the_app_role_still_corrects_an_assessment_and_a_session(app_role, patient, pt):
    assessment, _ = outcome_services.assessment_record(actor=pt, patient=patient, instrument="nprs", answers=[5],
                                                       collected_at=timezone.now(), source="clinic")
    session = session_for(patient, pt)
    with as_role(app_role.info.user):
        new_assessment = outcome_services.assessment_supersede(
            actor=pt, assessment_id=assessment.pk, reason="typo", answers=[4], collected_at=timezone.now(),
            source="clinic")
        new_session = exercise_services.session_supersede(
            actor=pt, session_id=session.pk, reason="wrong day", performed_at=session.performed_at,
            prescriptions=list(session.prescriptions.all()), source="staff")
    assert Assessment.objects.get(pk=assessment.pk).superseded_at is not None
    assert ExerciseSession.objects.get(pk=session.pk).superseded_at is not None
    assert new_assessment.supersedes_id == assessment.pk and new_session.supersedes_id == session.pk


def session_for(patient, pt) -> ExerciseSession:
    plan = CarePlanFactory(patient=patient, lead_pt=pt, status="active", start_date=today() - dt.timedelta(30))
    prescription = exercise_services.prescription_create(
        actor=pt, care_plan=plan, exercise=Exercise.objects.get(slug="bird-dog"), start_date=plan.start_date)
    session, _ = exercise_services.session_record(actor=pt, patient=patient, prescriptions=[prescription],
                                                  performed_at=timezone.now() - dt.timedelta(hours=2), source="staff")
    return session


@contextmanager
def as_role(name: str):
    """Django's own connection, acting as `name` (the test's owner may SET ROLE to any role)."""
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def test_pgtrigger_ignore_does_not_switch_the_audit_off(app_role, patient):
    ignore_every_trigger(app_role, "patients_patient")
    app_role.execute("UPDATE patients_patient SET first_name = 'Changed' WHERE id = %s", [patient.pk])
    update = AuditEvent.objects.get(table_name="patients_patient", object_id=patient.pk, action="update")
    assert update.changes["first_name"][1] == "Changed"


# --- The trigger functions name their tables: a temporary table cannot shadow them ---------------

def test_a_temporary_audit_table_does_not_capture_the_audit_rows(app_role):
    before = AuditEvent.objects.count()
    app_role.execute("CREATE TEMP TABLE core_auditevent (LIKE public.core_auditevent INCLUDING ALL)")
    app_role.execute("INSERT INTO accounts_clinic (name, timezone, reminder_after_days, quiet_hours_start,"
                     " quiet_hours_end, restrict_to_care_team, created_at)"
                     " VALUES ('Shadow Clinic', 'UTC', 2, '20:00', '09:00', false, now())")
    assert app_role.execute("SELECT count(*) FROM pg_temp.core_auditevent").fetchone() == (0,)
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.filter(table_name="accounts_clinic", action="create").exists()


def test_a_temporary_patient_table_does_not_hide_the_clinic_of_an_audit_row(app_role, patient, pt):
    assessment, _ = outcome_services.assessment_record(actor=pt, patient=patient, instrument="nprs", answers=[5],
                                                       collected_at=timezone.now(), source="clinic")
    app_role.execute("CREATE TEMP TABLE patients_patient (LIKE public.patients_patient)")  # empty
    app_role.execute("UPDATE outcomes_assessment SET superseded_at = now() WHERE id = %s", [assessment.pk])
    update = AuditEvent.objects.get(table_name="outcomes_assessment", object_id=assessment.pk, action="update")
    assert update.clinic_id == patient.clinic_id


# --- A rerun takes back whatever roles the app role was given ------------------------------------

def test_a_rerun_takes_back_the_app_roles_memberships(app_role):
    name, other = app_role.info.user, f"moverx_other_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        cursor.execute(f'CREATE ROLE "{other}" NOLOGIN; GRANT "{owner}" TO "{name}"; GRANT "{other}" TO "{name}"')
    try:
        call_command("grant_app_role", role=name, verbosity=0)
        assert "permission denied to set role" in refused(app_role, f'SET ROLE "{owner}"')
        assert app_role.execute("SELECT pg_has_role(%s, %s, 'MEMBER'), pg_has_role(%s, %s, 'MEMBER')",
                                [name, owner, name, other]).fetchone() == (False, False)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP ROLE IF EXISTS "{other}"')
