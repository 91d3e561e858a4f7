"""`manage.py replay --referrals R.jsonl --answers A.csv [--settings S.json]`: what would happen.

Prints one JSON object (API.md v1.1, "Replay"); saves nothing.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from replay import inputs
from replay.engine import ReplayError, replay


class Command(BaseCommand):
    help = "Replay referrals through the real brokering on a virtual clock; prints JSON."

    def add_base_argument(self, parser, *args, **kwargs):
        # This command's --settings is the zone settings file; Django's own is not offered.
        if "--settings" in args:
            parser.set_defaults(settings=None)
        else:
            super().add_base_argument(parser, *args, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--referrals", required=True, help="JSON lines: one referral a line")
        parser.add_argument(
            "--answers", required=True, help="CSV: ref,provider,answer,after_minutes"
        )
        parser.add_argument(
            "--settings",
            "--zone-settings",
            dest="zone_settings",
            help='JSON: {"ZONE-CODE": {zone fields}}, tried instead of the stored ones',
        )

    def handle(self, *args, **options):
        try:
            with open(options["referrals"], encoding="utf-8") as lines:
                referrals = inputs.read_referrals(lines)
            with open(options["answers"], encoding="utf-8", newline="") as lines:
                answers = inputs.read_answers(lines)
            settings = {}
            if options["zone_settings"]:
                with open(options["zone_settings"], encoding="utf-8") as text:
                    settings = inputs.read_settings(text.read())
            result = replay(referrals, answers, settings)
        except (OSError, ReplayError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(result))
