from django.db import migrations


def schedule(apps, schema_editor):
    from core.beat import ensure_periodic_task
    from outcomes.schedules import MONTHLY_REPORTS

    ensure_periodic_task(apps, **MONTHLY_REPORTS)


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial"), ("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
