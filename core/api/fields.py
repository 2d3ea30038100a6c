from django.db.models import DateField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.filters import MAX_ID as _MAX_ID
from core.bounds import Bounded, Kind, is_suspect, stored_range


@extend_schema_field(OpenApiTypes.INT)
class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id looked up through the requesting user's scope (STYLE.md habit 3): another
    clinic's id is answered exactly like an id that does not exist, and nothing is written."""

    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        kwargs.setdefault("queryset", None)
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(self.context["request"].user)

    def to_internal_value(self, data):
        plain_number = isinstance(data, int | str) and not isinstance(data, bool) and str(data).isascii() \
            and str(data).isdigit()
        if not plain_number:
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < int(data) <= _MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "example": "20:00"})
class ClockTimeField(serializers.TimeField):
    """A wall-clock time as "HH:MM" (no zone: it is read in the patient's local time)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)


class OptionalEmailField(serializers.EmailField):
    """An address that may be missing: answered as null, never as "" (which the schema's
    `format: email` refuses); null and "" in input both mean none, stored as ""."""

    def __init__(self, **kwargs):
        kwargs.update(allow_null=True, allow_blank=not kwargs.get("read_only"))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        is_empty, value = super().validate_empty_values(data)
        return is_empty, ("" if is_empty and value is None else value)

    def to_representation(self, value):
        return super().to_representation(value) or None


def contains_nul(data) -> bool:
    """Whether a NUL character is in any string or key of parsed JSON."""
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(contains_nul(key) or contains_nul(value) for key, value in data.items())
    if isinstance(data, list | tuple):
        return any(contains_nul(item) for item in data)
    return False


class JSONField(serializers.JSONField):
    """Free-form JSON input. PostgreSQL's jsonb stores no NUL character (a write would fail with a
    500), so one anywhere in the value is a field error, like DRF's CharField does for text."""

    default_error_messages = {"null_characters": "Null characters are not allowed."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if contains_nul(value):
            self.fail("null_characters")
        return value


class BoundedDateField(serializers.DateField):
    """A date within the range of `kind` (core.bounds): outside it, 400 on this field."""

    def __init__(self, *, kind: Kind, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(Bounded(kind))


class BoundedDateTimeField(serializers.DateTimeField):
    """A timestamp within the range of `kind` (core.bounds): outside it, 400 on this field. (An offset
    that pushes it outside years 1..9999 in UTC is DRF's own "out of range" 400.)"""

    def __init__(self, *, kind: Kind, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(Bounded(kind))


@extend_schema_field({"type": "array", "items": {"type": "string"}, "readOnly": True,
                      "description": "Fields of this row whose date no real record can have (stored before "
                                     "dates were checked); correct them."})
class SuspectDatesField(serializers.Field):
    """The names of the row's date and datetime fields that are suspect (core.bounds.is_suspect):
    lists show such rows, marked, instead of failing on them."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, row):
        if not hasattr(self, "_ranges"):  # once per response: a list's rows share this field
            self._ranges = {field.attname: stored_range(field.name) for field in row._meta.concrete_fields
                            if isinstance(field, DateField)}
        return [attname for attname, within in self._ranges.items()
                if is_suspect(getattr(row, attname), within=within)]
