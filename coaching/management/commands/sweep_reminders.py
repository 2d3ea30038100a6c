from django.core.management.base import BaseCommand

from coaching.tasks import sweep_reminders


class Command(BaseCommand):
    help = "Run one reminder sweep now (and refresh the outreach queue); sends go through Celery."

    def handle(self, *args, **options):
        result = sweep_reminders()
        self.stdout.write(", ".join(f"{name}: {value}" for name, value in result.items()))
