"""`python manage.py rebuild_delivery_rollup [--zone CODE ...] [--since DATE] [--until DATE]`:
recompute the daily delivery rollup from the delivered visits, to repair it (or fill it
after visits were loaded around the services)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from invoicing import rollup
from zones.models import Zone


class Command(BaseCommand):
    help = "Recompute the daily delivery rollup (spend by zone and day) from the delivered visits."

    def add_arguments(self, parser):
        parser.add_argument("--zone", action="append", help="A zone code (repeat for more).")
        parser.add_argument("--since", type=_date, help="First day, YYYY-MM-DD.")
        parser.add_argument("--until", type=_date, help="Last day, YYYY-MM-DD.")

    def handle(self, *args, zone=None, since=None, until=None, **options):
        zone_ids = None
        if zone:
            zones = dict(Zone.objects.filter(code__in=zone).values_list("code", "pk"))
            unknown = sorted(set(zone) - set(zones))
            if unknown:
                raise CommandError(f"No zone {', '.join(unknown)}.")
            zone_ids = list(zones.values())
        rows = rollup.rebuild(zone_ids=zone_ids, first=since, last=until)
        self.stdout.write(f"Rebuilt the daily delivery rollup: {rows} zone-days with care.")


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date: {value} (use YYYY-MM-DD).") from None
