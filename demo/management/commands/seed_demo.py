"""`manage.py seed_demo`: load the demo market (idempotent) and print the demo logins."""

from django.core.management.base import BaseCommand

from demo.history import seed_history
from demo.market import ACCOUNTS, DEMO_PASSWORD, seed_market

# Each step adds what is missing and returns a line to print; add a step here.
STEPS = [
    seed_market,
    seed_history,
]


class Command(BaseCommand):
    help = "Load the Devon-like demo market and one account per role (safe to run again)."

    def handle(self, *args, **options):
        for step in STEPS:
            self.stdout.write(step())
        self.stdout.write("\nDemo accounts, all with the password " + DEMO_PASSWORD + ":")
        for username, role, _, _, purpose in ACCOUNTS:
            self.stdout.write(f"  {username:<20} {role.label:<16} {purpose}")
