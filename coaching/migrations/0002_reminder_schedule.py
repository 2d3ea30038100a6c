from django.db import migrations


def schedule(apps, schema_editor):
    from coaching.schedules import REMINDER_SWEEP
    from core.beat import ensure_periodic_task

    ensure_periodic_task(apps, **REMINDER_SWEEP)


class Migration(migrations.Migration):
    dependencies = [("coaching", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
