"""A prescription version replaced (or a plan discharged) before the version took effect was never
active, so it sets no weekly target (clinical-reference §4: "active at any moment of the week").
Example: prescribed to start on Thursday, changed on Monday: the change takes effect on Thursday
too, and the first version's interval [Thu, Thu) is empty."""

from importlib import import_module

from django.db import migrations

WEEKLY = import_module("exercises.migrations.0003_adherence_functions").WEEKLY
WAS_ACTIVE = "AND (v.valid_to IS NULL OR v.valid_to > wk.starts_at)"
assert WAS_ACTIVE in WEEKLY
NEVER_EMPTY = WEEKLY.replace(WAS_ACTIVE, f"{WAS_ACTIVE}\n          AND (v.valid_to IS NULL OR v.valid_to > v.valid_from)")


class Migration(migrations.Migration):
    dependencies = [("exercises", "0003_adherence_functions")]

    operations = [migrations.RunSQL(NEVER_EMPTY, WEEKLY)]
