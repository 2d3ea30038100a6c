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
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(report, migrations.RunPython.noop, elidable=True)]
