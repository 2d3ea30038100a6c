"""Finds rows stored before dates were bounded (issue 10 §2) and lists them in the migration output.
It changes nothing: append-only facts refuse UPDATE, and a wrong clinical date is corrected by a
person (a superseding row), not guessed. Pages mark these rows 'suspect date' at display time;
`manage.py suspect_dates` lists them again at any time."""

from django.db import migrations

from core.bounds import CLINICAL_APPS, suspect_rows


def report(apps, schema_editor):
    found = suspect_rows(apps, app_labels=CLINICAL_APPS)
    for row in found:
        print(f"\n  suspect dates: {row['model']}.{row['field']}: {row['count']} row(s), ids {row['ids']}", end="")


class Migration(migrations.Migration):
    # It reads every clinical app's tables, so it runs after each of them is in place.
    dependencies = [
        ("core", "0004_outbox_refuse_truncate"),
        ("accounts", "0003_refuse_truncate"),
        ("patients", "0004_refuse_truncate"),
        ("careplans", "0002_refuse_truncate"),
        ("exercises", "0005_refuse_truncate"),
        ("coaching", "0003_refuse_truncate"),
        ("outcomes", "0006_refuse_truncate"),
    ]

    operations = [migrations.RunPython(report, migrations.RunPython.noop, elidable=True)]
