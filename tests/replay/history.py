"""Generated history: referrals brokered by the real engine, committed, as if they had happened.

The replay's own event loop drives the real services (without rolling back),
with each provider answering by a behaviour of its own, so that the history
is one the engine could have made and a replay with no change should find
it again.
"""

import datetime
import random

from django.utils import timezone

from core import jobs
from providers.models import ContractRole
from replay.engine import ACCEPT, DECLINE, NO_ANSWER, Answer, Answers, _Run, record_drafts
from tests.factories import ContractFactory, ZoneFactory
from zones.models import AllocationMode

from .helpers import referral_object

# provider role -> (share accepting, share declining, minutes to answer)
BEHAVIOUR = {"primary": (0.5, 0.3, 25), "secondary": (0.6, 0.2, 40), "framework": (0.8, 0.1, 50)}


def generated_market():
    """A cascade zone with a primary, a secondary and a framework provider, each with a code
    of its own (the replay's draws are named by provider code: the same in every test run)."""
    zone = ZoneFactory(
        allocation_mode=AllocationMode.CASCADE,
        offer_window_minutes=60,
        code="EXE",
        districts=["EX1"],
    )
    roles = {"primary": ContractRole.PRIMARY, "secondary": ContractRole.SECONDARY}
    return zone, {
        name: ContractFactory(
            zone=zone,
            role=roles.get(name, ContractRole.FRAMEWORK),
            share_percent={"primary": 80, "secondary": 20}.get(name, 0),
            provider__code=f"GEN-{name.upper()}",
        ).provider
        for name in BEHAVIOUR
    }


def history_start(days_ago=10) -> datetime.datetime:
    """08:00 UK time `days_ago` days ago: the history's hours of day the same on every run."""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(8)))


class _History(_Run):
    """The replay's loop, committed: a referral past its re-try horizon stays open, as a
    live one would, rather than set aside (the history must keep every referral)."""

    def _give_up(self, package_ids):
        pass


def generate(providers, *, start, referrals=40, seed=7):
    """`referrals` referrals from `start`, two hours apart, answered by BEHAVIOUR."""
    rng = random.Random(seed)
    lines = [
        referral_object(f"H{n}", start + datetime.timedelta(hours=2 * n), serial=60_000 + n)
        for n in range(referrals)
    ]
    table = {}
    for line in lines:
        for role, provider in providers.items():
            accept, decline, minutes = BEHAVIOUR[role]
            draw = rng.random()
            answer = ACCEPT if draw < accept else DECLINE if draw < accept + decline else NO_ANSWER
            after = datetime.timedelta(minutes=rng.uniform(0.3, 1.3) * minutes)
            table[(line.ref, provider.code)] = Answer(answer, after)
    with jobs.run_in_place():
        run = _History(lines, record_drafts(lines), Answers(table), None)
        run.play()
    return lines
