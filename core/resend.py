"""Append-only clinical facts (assessments, exercise sessions), written one way.

Resent submissions (clinical-reference §1, v2): a client may send an `external_id` with a fact it
records. The same `external_id` with the same content is a retry and gets the stored row; with other
content it is a 409 naming the stored row, nothing written.

Corrections (DESIGN.md, append-only clinical facts): a new row supersedes the old one, which keeps
who, when and why; nothing is edited or deleted."""

from collections.abc import Callable

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from core.errors import Conflict, InvalidInput


def record_once(model: type[models.Model], *, patient, external_id: str, same: Callable[[models.Model], bool],
                create: Callable[[], models.Model], label: str) -> tuple[models.Model, bool]:
    """(row, created): what `create()` writes, or the row already stored under `external_id` when
    `same(row)` holds. Two copies of one resend arriving at once meet the unique constraint, and the
    second gets the same answer as a later one would."""
    stored = _stored(model, patient, external_id, same, label)
    if stored is not None:
        return stored, False
    try:
        with transaction.atomic():
            return create(), True
    except IntegrityError:
        stored = _stored(model, patient, external_id, same, label)
        if stored is None:
            raise
        return stored, False


def _stored(model, patient, external_id: str, same, label: str):
    stored = model.objects.filter(patient=patient, external_id=external_id).first() if external_id else None
    if stored is None or same(stored):
        return stored
    raise Conflict({"detail": f"This external_id was recorded before with other content; correct the stored "
                              f"{label} (supersede) instead.", "id": stored.pk})


def supersede(rows: models.QuerySet, *, row_id: int, reason: str, label: str,
              create: Callable[[models.Model], models.Model]) -> models.Model:
    """The row `create(old)` writes, superseding the row `row_id` of `rows` (`create` sets its
    `supersedes` and `supersede_reason`). The old row is locked first, so of two corrections of one
    row one wins and the other is a 409."""
    with transaction.atomic():
        old = rows.select_for_update(no_key=True).get(pk=row_id)
        if old.superseded_at is not None:
            raise Conflict(f"This {label} was already corrected; correct the newer one.")
        if not reason.strip():
            raise InvalidInput({"reason": [f"Say why the {label} is corrected."]})
        new = create(old)
        old.superseded_at = timezone.now()
        old.save(update_fields=["superseded_at"])
        return new
