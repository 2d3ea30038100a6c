from celery import shared_task

from outcomes import services


@shared_task(acks_late=True)
def compute_outcome_report(report_id: int) -> None:
    """Compute one report snapshot (idempotent: a second delivery finds it claimed or done)."""
    services.report_compute(report_id)


@shared_task
def settle_stale_reports() -> tuple[int, int]:
    """Celery beat, every minute (services.reports_settle_stale)."""
    return services.reports_settle_stale()


@shared_task
def refresh_monthly_reports() -> int:
    """Celery beat, monthly: a fresh report snapshot per clinic."""
    return len(services.monthly_reports_create())
