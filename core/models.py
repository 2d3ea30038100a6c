import uuid

import pgtrigger
from django.db import models
from django.db.models.functions import Now
from pgtrigger import features as pgtrigger_features

# Set only by `manage.py flush` (core/management/commands/flush.py); honoured only for the tables' owner.
ALLOW_TRUNCATE_SETTING = "moverx.allow_truncate"

# The schema of the project's tables (pgtrigger's, where it installs its own function too). Trigger
# functions name every table with it: unqualified, a session's temporary table of the same name
# (pg_temp is searched first) would receive the audit rows or answer the trigger's lookups.
DB_SCHEMA = pgtrigger_features.schema()


def qualified(table: str) -> str:
    """`table` as trigger SQL must name it: in the project's schema, never a session's pg_temp."""
    return f'"{DB_SCHEMA}"."{table}"'


def refuse_truncate() -> pgtrigger.Trigger:
    """A BEFORE TRUNCATE trigger that refuses it: TRUNCATE fires no DELETE trigger, so it would empty
    a table without a trace in the trail or past the append-only guards.

    The one exception is `manage.py flush` (tests empty the database with it) run by the table's
    owner: it sets ALLOW_TRUNCATE_SETTING, and the owner check keeps any other role (the
    application's) from using that setting."""
    return pgtrigger.Trigger(
        name="refuse_truncate",
        level=pgtrigger.Statement,
        when=pgtrigger.Before,
        operation=pgtrigger.Truncate,
        func=f"""
            IF current_setting('{ALLOW_TRUNCATE_SETTING}', true) = 'on' AND pg_has_role(
                    current_user, (SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION 'TRUNCATE of % is refused: clinical data and its audit trail are never emptied',
                TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        """,  # noqa: S608 (built from this module's constant, never from input)
    )


# What each row-guarding trigger refuses, by its name, and the columns an UPDATE may still set: the
# one place `grant_app_role` reads to take the same rights from the application's role, so that a
# session setting `pgtrigger.ignore` (which skips the triggers) gains nothing.
APPEND_ONLY_TRIGGER, NO_DELETE_TRIGGER, MARK_SUPERSEDED_TRIGGER = "append_only", "no_delete", "only_mark_superseded"
GUARDED_WRITES = {
    APPEND_ONLY_TRIGGER: ({"UPDATE", "DELETE"}, ()),
    NO_DELETE_TRIGGER: ({"DELETE"}, ()),
    MARK_SUPERSEDED_TRIGGER: ({"UPDATE"}, ("superseded_at",)),
}


def guarded_writes(model) -> tuple[set[str], set[str]]:
    """The privileges the model's triggers refuse on its rows ({"UPDATE", "DELETE"} or part) and the
    columns an UPDATE may still set (a correctable fact's `superseded_at`)."""
    refused, columns = set(), set()
    for trigger in getattr(model._meta, "triggers", []):
        privileges, updatable = GUARDED_WRITES.get(trigger.name, ((), ()))
        refused.update(privileges)
        columns.update(updatable)
    return refused, columns


class AuditEvent(models.Model):
    """One row per create/update/delete of an audited table (written by database triggers, see
    `core.audit.audit_triggers`) and per API read of patient data (written by `core.audit`).

    No foreign keys: the trail must outlive (and never block) changes to what it describes.
    The database refuses UPDATE and DELETE on this table."""

    class Action(models.TextChoices):
        CREATE = "create"
        UPDATE = "update"
        DELETE = "delete"
        READ = "read"

    occurred_at = models.DateTimeField(db_default=Now())
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_role = models.CharField(max_length=20, blank=True, default="")
    clinic_id = models.BigIntegerField(null=True, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    table_name = models.CharField(max_length=63)
    object_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["clinic_id", "-id"], name="audit_clinic_idx"),
            models.Index(fields=["patient_id", "-id"], name="audit_patient_idx"),
            models.Index(fields=["actor_id", "-id"], name="audit_actor_idx"),
        ]
        triggers = [
            pgtrigger.Protect(name=APPEND_ONLY_TRIGGER, operation=pgtrigger.Update | pgtrigger.Delete),
            refuse_truncate(),
        ]

    def __str__(self):
        return f"{self.action} {self.table_name}#{self.object_id} by {self.actor_id}"


class CorrectableFact(models.Model):
    """An append-only clinical fact (DESIGN.md): never edited or deleted; a correction is a new row
    that `supersedes` this one, which is then marked `superseded_at` (once)."""

    supersedes = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="superseded_by")
    superseded_at = models.DateTimeField(null=True, blank=True)
    supersede_reason = models.TextField(blank=True, help_text="Why this row corrects the one it supersedes.")

    class Meta:
        abstract = True


def correctable_fact_triggers() -> list:
    """The database's side of CorrectableFact: no DELETE, and no UPDATE but marking superseded once."""
    return [
        pgtrigger.Protect(name=NO_DELETE_TRIGGER, operation=pgtrigger.Delete),
        pgtrigger.Protect(
            name=MARK_SUPERSEDED_TRIGGER,
            operation=pgtrigger.Update,
            condition=pgtrigger.Condition(
                "OLD.superseded_at IS NOT NULL"
                " OR (to_jsonb(OLD) - 'superseded_at') IS DISTINCT FROM (to_jsonb(NEW) - 'superseded_at')"
            ),
        ),
    ]


class OutboxMessage(models.Model):
    """A notification or dispatch that must not be lost (DESIGN.md, reliability): written in the
    same transaction as the fact it announces, delivered after the commit by `core.outbox`.

    `handler` is the dotted path of a function called as `handler(idempotency_key=..., **payload)`;
    it must be idempotent, since a delivery interrupted by a crash is run again."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    handler = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    dedupe_key = models.CharField(max_length=100, blank=True, default="",
                                  help_text="At most one undelivered message per key (empty: no limit).")
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["id"]
        indexes = [
            # what the drain reads: the undelivered rows only, a small part of the table
            models.Index(fields=["status", "next_attempt_at"], name="outbox_undelivered_idx",
                         condition=models.Q(status__in=["pending", "sending"])),
            # what /healthz counts on every probe: the rows not sent, however many sent ones pile up
            models.Index(fields=["created_at"], name="outbox_not_sent_idx",
                         condition=models.Q(status__in=["pending", "sending", "failed"])),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="outbox_one_undelivered_per_key",
                                    condition=models.Q(status__in=["pending", "sending"]) & ~models.Q(dedupe_key="")),
        ]
        # an undelivered safety alert lives only here: emptying the table would lose it
        triggers = [refuse_truncate()]

    def __str__(self):
        return f"{self.handler} {self.payload} ({self.status})"
