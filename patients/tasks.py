from celery import shared_task

from patients import services


@shared_task
def notify_alert(alert_id: int) -> int:
    """Kept for messages queued before the outbox: alerts are now e-mailed through it
    (services.alert_notify_staff)."""
    return services.alert_notify_staff(alert_id=alert_id)
