"""`create_account USERNAME --role ROLE [--provider CODE] [--zones CODE,CODE] [--email ADDRESS] --noinput`.

The password comes from the environment variable ACCOUNT_PASSWORD (or is
asked for, when run interactively). Running it again for an existing user
updates its role, organisation, zones and password (and its email, when given).
"""

import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role
from accounts.services import save_account


class Command(BaseCommand):
    help = "Create or update an account with one role; the password is read from ACCOUNT_PASSWORD."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"One of {', '.join(Role.values)}.")
        parser.add_argument(
            "--provider", help="The code of the provider a provider user belongs to."
        )
        parser.add_argument(
            "--zones", help="Zone codes, separated by commas, that a broker is limited to."
        )
        parser.add_argument("--email", help="Where the account's notifications are sent.")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Never prompt: the password must be in ACCOUNT_PASSWORD.",
        )

    def handle(self, *args, username, role, provider, zones, email, interactive, **options):
        password = os.environ.get("ACCOUNT_PASSWORD")
        if not password:
            if not interactive:
                raise CommandError("Set the password in the environment variable ACCOUNT_PASSWORD.")
            password = self._ask_password()
        zone_codes = [code.strip() for code in (zones or "").split(",") if code.strip()]
        try:
            user, created = save_account(
                username=username,
                role=role,
                password=password,
                provider_code=provider,
                zone_codes=zone_codes,
                email=email,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        verb = "Created" if created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {user.username} ({user.get_role_display()}).")
        )

    def _ask_password(self):
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords do not match.")
        return password  # save_account checks it, as it checks ACCOUNT_PASSWORD
