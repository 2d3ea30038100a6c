from django.core.management.base import BaseCommand

from demo.builder import DEMO_PASSWORD, demo_logins, seed_demo


class Command(BaseCommand):
    help = 'Create the "Demo Clinic" with staff of every role and ~200 patients (idempotent).'

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=200)

    def handle(self, *args, patients, **options):
        created = seed_demo(patients=patients)
        self.stdout.write("Demo data loaded." if created else "Demo data already present; nothing changed.")
        for email, role in demo_logins():
            self.stdout.write(f"  {role:<12} {email}")
        self.stdout.write(f"  password     {DEMO_PASSWORD}")
