"""Celery beat schedules live in the database (django-celery-beat), editable in the admin. Apps
add their entries with a data migration through `ensure_periodic_task`, which never overwrites
an entry an operator changed."""


def ensure_periodic_task(apps, *, name: str, task: str, crontab: dict | None = None,
                         every_seconds: int | None = None) -> None:
    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    if periodic_task.objects.filter(name=name).exists():
        return
    if crontab is not None:
        schedule = {"crontab": apps.get_model("django_celery_beat", "CrontabSchedule").objects.get_or_create(
            timezone="UTC", **crontab)[0]}
    else:
        schedule = {"interval": apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
            every=every_seconds, period="seconds")[0]}
    periodic_task.objects.create(name=name, task=task, **schedule)
