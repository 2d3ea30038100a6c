"""TRUNCATE fires no DELETE trigger: the database refuses it on every MoveRx table, so neither the
audit trail nor the append-only facts can be emptied. Only the owner's `manage.py flush` (the test
suite's) passes."""

import secrets

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from core.models import ALLOW_TRUNCATE_SETTING, AuditEvent
from patients.models import Patient

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"core", "accounts", "patients", "careplans", "exercises", "coaching", "outcomes"}
# Clinic configuration rather than clinical data: no refusal asked for (nor needed for the trail).
NOT_CLINICAL = {"exercises_programtemplate", "exercises_templateitem", "accounts_apitokenbinding"}
APPEND_ONLY = ["core_auditevent", "exercises_prescriptionversion", "exercises_sessionprescription",
               "exercises_exercisesession", "outcomes_assessment"]
CLINICAL = ["patients_patient", "patients_alert", "careplans_careplan", "careplans_visit", "careplans_goal",
            "coaching_checkin", "coaching_coachingnote", "coaching_outreachitem", "coaching_reminderdelivery",
            "exercises_prescription", "accounts_user", "accounts_clinic", "outcomes_outcomereport"]


def truncate(table: str, *, cascade: bool = True) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        # The test's own inserts left deferred foreign-key checks, which TRUNCATE will not run past.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'TRUNCATE "{table}"' + (" CASCADE" if cascade else ""))


@pytest.mark.parametrize("table", APPEND_ONLY + CLINICAL)
def test_truncate_is_refused(table, patient):
    with pytest.raises(DatabaseError, match=f"TRUNCATE of {table} is refused"):
        truncate(table)
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_every_clinical_table_has_the_trigger():
    tables = {model._meta.db_table for model in apps.get_models() if model._meta.app_label in PROJECT_APPS}
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger "
                       "WHERE tgtype & 32 = 32 AND NOT tgisinternal")  # 32: TRUNCATE
        guarded = {row[0] for row in cursor.fetchall()}
    assert tables - NOT_CLINICAL <= guarded, tables - NOT_CLINICAL - guarded


def test_the_flush_setting_does_not_help_a_role_that_is_not_the_owner(patient):
    """A role that was granted TRUNCATE (by mistake) still cannot, even with the flush's setting."""
    role = f"moverx_truncater_{secrets.token_hex(4)}"  # rolled back with the test's transaction
    with pytest.raises(DatabaseError, match="TRUNCATE of core_auditevent is refused"), transaction.atomic(), \
            connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT TRUNCATE ON core_auditevent TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute("SELECT set_config(%s, 'on', true)", [ALLOW_TRUNCATE_SETTING])
        cursor.execute("TRUNCATE core_auditevent")
    assert AuditEvent.objects.filter(table_name="patients_patient", object_id=patient.pk).exists()


def test_the_owners_flush_empties_the_database_and_closes_the_door_behind_it(patient):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in test_truncate_is_refused
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert not Patient.objects.exists() and not AuditEvent.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [ALLOW_TRUNCATE_SETTING])
        assert cursor.fetchone()[0] == ""
    with pytest.raises(DatabaseError, match="refused"):
        truncate("patients_patient")


@override_settings(ALLOW_FLUSH=False)
def test_flush_is_refused_where_the_settings_do_not_allow_it(patient):
    """Outside the test settings even the owner's `manage.py flush` meets the triggers."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in test_truncate_is_refused
    with pytest.raises(CommandError) as error:
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert "is refused" in str(error.value.__cause__)
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert AuditEvent.objects.filter(table_name="patients_patient", object_id=patient.pk).exists()
