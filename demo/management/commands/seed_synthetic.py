import time

from django.core.management.base import BaseCommand

from demo.synthetic import seed_synthetic, synthetic_patient_count


class Command(BaseCommand):
    help = "Load N synthetic patients with 12-week histories (set-based SQL; for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, default=10_000)

    def handle(self, *args, patients, **options):
        started = time.perf_counter()
        seed_synthetic(patients=patients)
        self.stdout.write(f"Added {patients} synthetic patients in {time.perf_counter() - started:.1f} s "
                          f"({synthetic_patient_count()} in all).")
