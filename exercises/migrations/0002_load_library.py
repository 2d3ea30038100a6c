from django.db import migrations


def load_library(apps, schema_editor):
    from exercises.library import sync_library

    sync_library(apps.get_model("exercises", "Exercise"))


class Migration(migrations.Migration):
    dependencies = [("exercises", "0001_initial")]

    operations = [migrations.RunPython(load_library, migrations.RunPython.noop)]
