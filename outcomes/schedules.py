"""The outcomes app's Celery beat entries (installed by migration, editable in the admin)."""

MONTHLY_REPORTS = {
    "name": "Monthly outcome report per clinic",
    "task": "outcomes.tasks.refresh_monthly_reports",
    "crontab": {"minute": "0", "hour": "3", "day_of_month": "1", "month_of_year": "*", "day_of_week": "*"},
}

STALE_REPORTS = {
    "name": "Settle stale outcome reports",
    "task": "outcomes.tasks.settle_stale_reports",
    "every_seconds": 60,
}
