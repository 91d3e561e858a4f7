"""`python manage.py rebuild_commissioned_rollup`: close the days that have passed, then
recompute the commissioned-care rollup from the placements, to repair it (or fill it after
packages were loaded around the services)."""

from django.core.management.base import BaseCommand

from packages import commissioned


class Command(BaseCommand):
    help = "Recompute the commissioned-care rollup (spend by zone and day) from the placements."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only compare the rows with a recomputation; exit 1 if they differ.",
        )

    def handle(self, *args, check=False, **options):
        if check:
            differing = commissioned.differences()
            self.stdout.write(f"{len(differing)} zone-days differ from a recomputation.")
            if differing:
                raise SystemExit(1)
            return
        commissioned.close_days()
        rows = commissioned.rebuild()
        self.stdout.write(f"Rebuilt the commissioned-care rollup: {rows} zone-days with care.")
