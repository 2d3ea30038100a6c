"""Resent submissions (clinical-reference §1, v2): a client may send an `external_id` with a fact it
records (an assessment, an exercise session). The same `external_id` with the same content is a
retry and gets the stored row; with other content it is a 409 naming the stored row, nothing written."""

from collections.abc import Callable

from django.db import IntegrityError, models, transaction

from core.errors import Conflict


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
