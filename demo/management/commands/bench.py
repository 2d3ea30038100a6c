import time

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from demo.bench import bench_reminders, bench_report
from demo.synthetic import seed_synthetic, synthetic_patient_count


def ensure_database() -> None:
    """Create the benchmark database (one per size) on the configured server if it is missing."""
    params = connection.get_connection_params()
    name = connection.settings_dict["NAME"]
    params.update(dbname="postgres", autocommit=True)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


class Command(BaseCommand):
    help = "Seed (or reuse) N synthetic patients and time the 12-week report against hand-written SQL."

    def handle(self, *args, **options):
        patients = settings.BENCH_PATIENTS
        ensure_database()
        call_command("migrate", verbosity=0)
        have = synthetic_patient_count()
        if have < patients:
            started = time.perf_counter()
            seed_synthetic(patients=patients - have)
            self.stdout.write(f"Seeded {patients - have} synthetic patients in {time.perf_counter() - started:.1f} s")
        else:
            self.stdout.write(f"Reusing {have} synthetic patients in {connection.settings_dict['NAME']}")
        results = bench_report()
        r = results
        self.stdout.write(f"""
12-week report, {patients} patients ({r['plans_in_cohort']} mature plans in the cohort)
  pain figures, report code   {r['report_pain_seconds'] * 1000:9.1f} ms  ({r['report_pain_queries']} queries)
  pain figures, hand-written  {r['hand_written_pain_seconds'] * 1000:9.1f} ms  (1 query)
  ratio                       {r['ratio']:9.2f}     (budget: <= 1.5)
  full report                 {r['full_report_seconds'] * 1000:9.1f} ms  ({r['full_report_queries']} queries; segments)
  of which mixed-model fits   {r['model_fit_seconds'] * 1000:9.1f} ms  ({r['model_fits']} fits)""")
        r = bench_reminders()
        self.stdout.write(f"""
Reminder sweep over {r['patients_swept']} patients
  sweep (decide + enqueue)    {r['sweep_seconds'] * 1000:9.1f} ms  ({r['reminders_created']} reminders due; budget:
                                             100,000 patients in under 5 s)
  delivery, 1 worker x 2      {r['deliveries_per_second']:9.1f} /s  ({r['delivered']} in {r['delivery_seconds']:.1f} s,
                                             logging channel)""")
