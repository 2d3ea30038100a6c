from django.db import migrations, models


def settle_every_minute(apps, schema_editor):
    """A killed report is re-run within minutes: the sweep runs every minute, not every 10 (an
    interval an operator changed is left alone)."""
    from outcomes.schedules import STALE_REPORTS

    periodic_task = apps.get_model("django_celery_beat", "PeriodicTask")
    interval = apps.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
        every=STALE_REPORTS["every_seconds"], period="seconds")[0]
    periodic_task.objects.filter(name=STALE_REPORTS["name"], interval__every=600, interval__period="seconds").update(
        interval=interval)


def backfill(apps, schema_editor):
    """Reports under way before this migration get the marks the sweep reads: a running one last beat
    when it started, a pending one was dispatched when it was requested."""
    reports = apps.get_model("outcomes", "OutcomeReport").objects
    if reports.filter(status__in=["pending", "running"]).exists():  # an UPDATE fires the audit triggers
        reports.filter(status="running").update(heartbeat_at=models.F("started_at"))
        reports.filter(status="pending").update(dispatched_at=models.F("requested_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('outcomes', '0004_stale_reports_schedule'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.AddField(
            model_name='outcomereport',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, help_text='Runs started, counting those a lost worker left unfinished.'),
        ),
        migrations.AddField(
            model_name='outcomereport',
            name='dispatched_at',
            field=models.DateTimeField(blank=True, help_text='When the computation was last handed to the outbox.', null=True),
        ),
        migrations.AddField(
            model_name='outcomereport',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, help_text='Last sign of life of the running worker.', null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(settle_every_minute, migrations.RunPython.noop),
    ]
