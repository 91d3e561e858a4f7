"""Generated history: referrals brokered by the real engine, committed, as if they had happened.

The replay's own event loop drives the real services (without rolling back),
with each provider answering by a behaviour of its own, so that the history
is one the engine could have made and a replay with no change should find
it again.
"""

import datetime
import random

from core import jobs
from replay.engine import ACCEPT, DECLINE, NO_ANSWER, Answer, Answers, _Run
from tests.brokering.factories import market
from zones.models import AllocationMode

from .helpers import referral_object

# provider role -> (share accepting, share declining, minutes to answer)
BEHAVIOUR = {"primary": (0.5, 0.3, 25), "secondary": (0.6, 0.2, 40), "framework": (0.8, 0.1, 50)}


def generated_market():
    zone, p = market(AllocationMode.CASCADE, framework=1, offer_window_minutes=60, code="EXE")
    return zone, {
        "primary": p["primary"],
        "secondary": p["secondary"],
        "framework": p["framework"][0],
    }


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
        run = _Run(lines, Answers(table), None)
        run.play()
    return lines
