from django.apps import apps
from django.core.management.base import BaseCommand

from core.bounds import CLINICAL_APPS, suspect_rows


class Command(BaseCommand):
    help = ("List rows whose dates no real record can have (before 1900, or years ahead): written before "
            "the API and forms bounded dates. Pages mark them 'suspect date'; correct them by superseding.")

    def handle(self, *args, **options):
        found = suspect_rows(apps, app_labels=CLINICAL_APPS)
        for row in found:
            self.stdout.write(f"{row['model']}.{row['field']}: {row['count']} row(s), ids {row['ids']}")
        self.stdout.write(f"{sum(row['count'] for row in found)} suspect date(s).")
