from celery import shared_task

from coaching import reminders, services


@shared_task
def sweep_reminders() -> dict:
    """Celery beat, every 15 minutes: due reminders, then the outreach queue."""
    result = reminders.sweep()
    opened, cleared = services.outreach_refresh()
    return {"created": result.created, "enqueued": result.enqueued, "recovered": result.recovered,
            "outreach_opened": opened, "outreach_cleared": cleared}


@shared_task  # acknowledged late, like every task (CELERY_TASK_ACKS_LATE)
def send_reminders(delivery_ids: list[int]) -> int:
    """Send a batch of reminders; each one is claimed on its own, so a redelivered batch (a worker
    was killed) sends nothing twice. Returns how many were sent."""
    return sum(1 for delivery_id in delivery_ids if reminders.send(delivery_id) == "sent")
