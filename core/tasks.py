from dataclasses import asdict

from celery import shared_task

from core import outbox


@shared_task
def deliver_outbox_message(message_id: int) -> str | None:
    """The outbox's fast path: deliver one message right after its transaction committed."""
    return outbox.deliver(message_id)


@shared_task
def drain_outbox() -> dict:
    """Celery beat, every 30 seconds: deliver every due outbox message (core.outbox.drain)."""
    return asdict(outbox.drain())
