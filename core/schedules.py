"""The core app's Celery beat entries (installed by migration, editable in the admin)."""

# Often: a report or alert held back by a broker outage goes out within a minute of its return.
OUTBOX_DRAIN = {
    "name": "Deliver the outbox (alerts, report dispatch)",
    "task": "core.tasks.drain_outbox",
    "every_seconds": 30,
}
