from django.db import migrations


def schedule(apps, schema_editor):
    from core.beat import ensure_periodic_task
    from outcomes.schedules import STALE_REPORTS

    ensure_periodic_task(apps, **STALE_REPORTS)


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0003_alter_assessment_supersede_reason")]

    operations = [migrations.RunPython(schedule, migrations.RunPython.noop)]
