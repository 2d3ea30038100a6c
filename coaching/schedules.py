"""The coaching app's Celery beat entries (installed by migration, editable in the admin)."""

REMINDER_SWEEP = {
    "name": "Adherence reminder sweep and outreach queue",
    "task": "coaching.tasks.sweep_reminders",
    "every_seconds": 15 * 60,
}
