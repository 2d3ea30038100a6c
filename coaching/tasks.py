import logging
from collections import Counter

from celery import shared_task

from coaching import services
from coaching.services import reminders

logger = logging.getLogger("moverx.reminders")


@shared_task
def sweep_reminders() -> dict:
    """Celery beat, every 15 minutes: due reminders, then the outreach queue."""
    result = reminders.sweep()
    opened, cleared = services.outreach_refresh()
    counts = {"created": result.created, "enqueued": result.enqueued, "recovered": result.recovered,
              "outreach_opened": opened, "outreach_cleared": cleared}
    logger.info("reminders swept", extra={"event": "reminders.swept", "counts": counts})
    return counts


@shared_task  # acknowledged late, like every task (CELERY_TASK_ACKS_LATE)
def send_reminders(delivery_ids: list[int]) -> int:
    """Send a batch of reminders; each one is claimed on its own, so a redelivered batch (a worker
    was killed) sends nothing twice. Returns how many were sent."""
    # by status: sent, skipped, pending (to retry), failed; not_due: another worker had it or it was not due
    outcomes = Counter(str(reminders.send(delivery_id) or "not_due") for delivery_id in delivery_ids)
    logger.info("reminders sent", extra={"event": "reminders.sent", "batch": len(delivery_ids), "counts": outcomes})
    return outcomes["sent"]
