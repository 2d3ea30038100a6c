"""The audit trail (DESIGN.md, "Audit").

Writes are recorded by PostgreSQL statement-level triggers, so `QuerySet.update()`, `bulk_create`
and raw SQL are recorded too. The triggers learn who acts from session settings that
:func:`audit_context` sets before every write statement on the connection. Reads of patient data
through the API are recorded by :func:`record_reads`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import contextmanager, suppress

import pgtrigger
from django.db import DatabaseError, connection
from pgtrigger import compiler

from core.models import AuditEvent, qualified, refuse_truncate
from core.request_id import current_request_id, new_request_id

_ACTOR_SQL = "NULLIF(current_setting('moverx.actor_id', true), '')::bigint"
_ROLE_SQL = "COALESCE(current_setting('moverx.actor_role', true), '')"
_REQUEST_SQL = "COALESCE(current_setting('moverx.request_id', true), '')"
_SET_CONTEXT_SQL = (
    "SELECT set_config('moverx.actor_id', %s, false), set_config('moverx.actor_role', %s, false), "
    "set_config('moverx.request_id', %s, false)"
)
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE")

def actor_role(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return "admin" if user.is_superuser else user.role


class UnignorableTriggerSql(compiler.UpsertTriggerSql):
    """pgtrigger's trigger SQL without its `pgtrigger.ignore` check: any session may set that
    setting, and an audit trigger it names would let a write pass without a trace."""

    IGNORE_CHECK = """
                    IF ({ignore_func_name}(TG_NAME) IS TRUE) THEN
                        IF (TG_OP = 'DELETE') THEN
                            RETURN OLD;
                        ELSE
                            RETURN NEW;
                        END IF;
                    END IF;"""

    def get_template(self) -> str:
        template = super().get_template()
        if self.IGNORE_CHECK not in template:  # a new pgtrigger: look again before trusting it
            raise RuntimeError("pgtrigger's trigger template changed: review UnignorableTriggerSql.")
        return template.replace(self.IGNORE_CHECK, "")


class UnignorableTrigger(pgtrigger.Trigger):
    """A trigger that `pgtrigger.ignore` does not switch off (UnignorableTriggerSql)."""

    def compile(self, model) -> compiler.Trigger:
        compiled = super().compile(model)
        return compiler.Trigger(name=compiled.name, sql=UnignorableTriggerSql(**compiled.sql.kwargs))


def audit_triggers(*, patient: str | None, clinic: str | None = None, exclude: Iterable[str] = ()) -> list:
    """The three AFTER ... FOR EACH STATEMENT triggers that record a table's writes, and the one that
    refuses TRUNCATE, which those would not see.

    `patient` and `clinic` are SQL expressions over the changed row `r` (e.g. "r.patient_id");
    when only `patient` is given, the clinic is the patient's.
    """
    join = ""
    if patient and not clinic:
        join = f"LEFT JOIN {qualified('patients_patient')} p ON p.id = {patient}"
        clinic = "p.clinic_id"
    patient_sql, clinic_sql = patient or "NULL", clinic or "NULL"
    drop = "ARRAY[" + ",".join(f"'{column}'" for column in exclude) + "]::pg_catalog.text[]"

    # Built only from the literals in this module and the models' Meta, never from input.
    def insert_sql(action: str, rows: str, changes: str, extra_from: str = "", where: str = "") -> str:
        return f"""
            INSERT INTO {qualified('core_auditevent')}
                (occurred_at, actor_id, actor_role, request_id, clinic_id, patient_id,
                 action, table_name, object_id, changes)
            SELECT statement_timestamp(), {_ACTOR_SQL}, {_ROLE_SQL}, {_REQUEST_SQL},
                   {clinic_sql}, {patient_sql}, '{action}', TG_TABLE_NAME, r.id, {changes}
            FROM {rows} r {extra_from} {join} {where};
            RETURN NULL;
        """

    # For an update, only the columns that changed, as {"column": [old, new]}.
    diff = f"""
        JOIN old_rows o ON o.id = r.id
        CROSS JOIN LATERAL (
            SELECT jsonb_object_agg(n.key, jsonb_build_array(b.value, n.value)) AS changes
            FROM jsonb_each(to_jsonb(r) - {drop}) n
            JOIN jsonb_each(to_jsonb(o) - {drop}) b ON b.key = n.key
            WHERE n.value IS DISTINCT FROM b.value
        ) d
    """
    return [
        refuse_truncate(),
        UnignorableTrigger(
            name="audit_insert",
            level=pgtrigger.Statement,
            when=pgtrigger.After,
            operation=pgtrigger.Insert,
            referencing=pgtrigger.Referencing(new="new_rows"),
            func=insert_sql("create", "new_rows", f"to_jsonb(r) - {drop}"),
        ),
        UnignorableTrigger(
            name="audit_update",
            level=pgtrigger.Statement,
            when=pgtrigger.After,
            operation=pgtrigger.Update,
            referencing=pgtrigger.Referencing(old="old_rows", new="new_rows"),
            func=insert_sql("update", "new_rows", "d.changes", diff, "WHERE d.changes IS NOT NULL"),
        ),
        UnignorableTrigger(
            name="audit_delete",
            level=pgtrigger.Statement,
            when=pgtrigger.After,
            operation=pgtrigger.Delete,
            referencing=pgtrigger.Referencing(old="old_rows"),
            func=insert_sql("delete", "old_rows", f"to_jsonb(r) - {drop}"),
        ),
    ]


class _ContextWrapper:
    """Sets the acting user before every write statement, so the triggers can record it.

    The actor is resolved lazily: for API requests the user is only known once DRF has
    authenticated the request, after the middleware started."""

    def __init__(self, actor: Callable, request_id: str):
        self.actor = actor
        self.request_id = request_id
        self.bound = False

    def __call__(self, execute, sql, params, many, context):
        if _is_audited_write(sql):
            user = self.actor()
            authenticated = user is not None and getattr(user, "is_authenticated", False)
            values = (str(user.pk) if authenticated else "", actor_role(user), self.request_id)
            # On the driver's cursor: `execute` may be executemany, and this must not re-enter wrappers.
            context["cursor"].cursor.execute(_SET_CONTEXT_SQL, values)
            self.bound = True
        return execute(sql, params, many, context)


def _is_audited_write(sql: str) -> bool:
    head = sql.lstrip()[:60].upper()
    if head.startswith("WITH"):
        return any(verb in sql.upper() for verb in _WRITE_VERBS)
    return head.startswith(_WRITE_VERBS) and '"CORE_AUDITEVENT"' not in head


@contextmanager
def audit_context(*, actor=None, request_id: str | None = None):
    """Attribute every write inside the block to `actor` (a user, a callable returning one, or
    None for the system) and `request_id` (a request's, a task's or a command's)."""
    resolve = actor if callable(actor) else (lambda: actor)
    request_id = request_id or current_request_id.get() or new_request_id()
    token = current_request_id.set(request_id)
    wrapper = _ContextWrapper(resolve, request_id)
    try:
        with connection.execute_wrapper(wrapper):
            yield
    finally:
        current_request_id.reset(token)
        if wrapper.bound and connection.connection is not None and not connection.needs_rollback:
            # A later write outside any context is the system's, not this actor's. If the
            # transaction was aborted, its rollback already undid the settings.
            with suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute(_SET_CONTEXT_SQL, ("", "", ""))


def record_reads(*, user, rows: Iterable[tuple[str, int, int | None, int | None]]) -> None:
    """Record API reads: `rows` are (table, object id, patient id, clinic id)."""
    events = [
        AuditEvent(
            actor_id=user.pk,
            actor_role=actor_role(user),
            clinic_id=clinic_id,
            patient_id=patient_id,
            action=AuditEvent.Action.READ,
            table_name=table,
            object_id=object_id,
            request_id=current_request_id.get(),
        )
        for table, object_id, patient_id, clinic_id in rows
    ]
    if events:
        AuditEvent.objects.bulk_create(events)


def record_change(*, actor, table: str, object_id: int, clinic_id: int | None, changes: dict) -> None:
    """Record a write the triggers cannot see (a library's table, e.g. the two-factor devices), in
    the triggers' shape: `changes` is {"column": [old, new]}."""
    AuditEvent.objects.create(actor_id=actor.pk, actor_role=actor_role(actor), clinic_id=clinic_id,
                              action=AuditEvent.Action.UPDATE, table_name=table, object_id=object_id,
                              changes=changes, request_id=current_request_id.get())
