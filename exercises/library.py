"""The exercise library that ships with MoveRx (`data/library.json`, plain-language instructions
written for MoveRx). Loaded by migrations so that every database has it after `migrate`."""

import json
from pathlib import Path

LIBRARY_FILE = Path(__file__).resolve().parent / "data" / "library.json"
_FIELDS = ("name", "category", "body_regions", "equipment", "difficulty", "instructions", "default_sets",
           "default_reps", "default_hold_seconds")


def library_entries() -> list[dict]:
    return json.loads(LIBRARY_FILE.read_text(encoding="utf-8"))


def sync_library(exercise_model) -> int:
    """Insert or update every library exercise by slug, then link progressions and regressions.
    Takes the model class so that migrations can pass their historical model."""
    entries = library_entries()
    library = exercise_model.objects.filter(clinic__isnull=True)
    existing = {exercise.slug: exercise for exercise in library}
    to_create, to_update = [], []
    for entry in entries:
        values = {field: entry[field] for field in _FIELDS}
        if entry["slug"] in existing:
            exercise = existing[entry["slug"]]
            for field, value in values.items():
                setattr(exercise, field, value)
            to_update.append(exercise)
        else:
            to_create.append(exercise_model(slug=entry["slug"], **values))
    exercise_model.objects.bulk_create(to_create)
    exercise_model.objects.bulk_update(to_update, _FIELDS)
    ids = dict(library.values_list("slug", "id"))
    linked = []
    for entry in entries:
        exercise = exercise_model(id=ids[entry["slug"]])
        exercise.progression_id = ids.get(entry["progression"])
        exercise.regression_id = ids.get(entry["regression"])
        linked.append(exercise)
    exercise_model.objects.bulk_update(linked, ["progression", "regression"])
    return len(entries)
