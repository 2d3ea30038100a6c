"""The audit trail as a manager reads it: who did what to whose record, by name, in the clinic's
time. The names of a page's patients and staff come from one query each (no query per row)."""

import datetime as dt
import functools
import re

from django.apps import apps
from django.utils import timezone
from django.utils.formats import date_format

from accounts.selectors import users_by_id
from patients.selectors import patients_visible_to

STAFF_TABLE = "accounts_user"
# what the trail calls a table's row where the model's own name reads badly
NOUNS = {"patients_patient": "record", "coaching_checkin": "check-in", "careplans_goal": "care-plan goal",
         "otp_totp_totpdevice": "two-factor device"}
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def audit_rows(user, events) -> list[dict]:
    """Each event of a page as a row: when (clinic time), who, what ("Robert Barrera's care plan",
    "Priya Shah (staff)") and, for an update, the changes."""
    events = list(events)
    patients = {p.pk: p.full_name for p in patients_visible_to(user).filter(
        pk__in={e.patient_id for e in events if e.patient_id}).only("first_name", "last_name")}
    people = users_by_id({e.actor_id for e in events if e.actor_id}
                         | {e.object_id for e in events if e.table_name == STAFF_TABLE})
    nouns = _nouns()
    return [{"event": e, "who": people.get(e.actor_id), "patient": patients.get(e.patient_id),
             "what": _what(e, patients, people, nouns), "changes": _changes(e)} for e in events]


@functools.cache  # the models do not change while the process lives
def _nouns() -> dict[str, str]:
    return {model._meta.db_table: str(model._meta.verbose_name) for model in apps.get_models()} | NOUNS


def _what(event, patients: dict, people: dict, nouns: dict) -> str:
    noun = nouns.get(event.table_name, event.table_name.replace("_", " "))
    if event.table_name == STAFF_TABLE:
        member = people.get(event.object_id)
        return f"{member} (staff)" if member else f"staff member #{event.object_id}"
    if event.patient_id:
        name = patients.get(event.patient_id, f"patient #{event.patient_id}")
        return f"{name}'s {noun}"
    if event.table_name == "accounts_clinic":
        return "the clinic's settings"
    return f"{noun} #{event.object_id}"


def _changes(event) -> list[tuple[str, str, str]]:
    if event.action != event.Action.UPDATE or not event.changes:
        return []
    return [(column.replace("_", " "), _shown(old), _shown(new)) for column, (old, new) in event.changes.items()]


def _shown(value) -> str:
    """A stored value as the page shows it: a timestamp in the clinic's time, nothing as "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and _STAMP.match(value):
        try:
            return date_format(timezone.localtime(dt.datetime.fromisoformat(value)), "M j, Y H:i T")
        except ValueError:
            return value
    return str(value)
