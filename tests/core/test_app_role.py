"""The role the web and the workers connect as (`manage.py grant_app_role`): reads and writes
rows, and nothing more. A real role on the test server, a real connection as that role."""

import secrets

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from accounts.models import Clinic
from core.models import AuditEvent

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
