"""A replay leaves the live database as it found it, run from the command line as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.db import connection

from accounts.models import User
from brokering.models import Offer, OfferStatus
from notifications.models import Notification
from packages.models import Package, PackageEvent, PackageVersion, Person, Placement, Visit
from tests.brokering.factories import OfferFactory, market, open_package
from tests.factories import PlacedPackageFactory
from zones.models import AllocationMode, Zone

from .helpers import referral

ROOT = Path(__file__).resolve().parents[2]
MODELS = [
    Package,
    Person,
    Offer,
    PackageEvent,
    PackageVersion,
    Visit,
    Placement,
    Notification,
    LogEntry,
    User,
    Zone,
]

pytestmark = pytest.mark.django_db(transaction=True)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_the_live_database_is_untouched_after_a_replay(tmp_path):
    zone, p = market(AllocationMode.CASCADE, framework=1, offer_window_minutes=60, code="EXE")
    live = OfferFactory(package=open_package(zone), provider=p["primary"])
    PlacedPackageFactory(zone=zone, provider=p["secondary"])
    before = counts()
    (tmp_path / "R.jsonl").write_text(
        "".join(json.dumps(referral(f"R{n}", n * 40)) + "\n" for n in range(3))
    )
    (tmp_path / "A.csv").write_text(
        "ref,provider,answer,after_minutes\n"
        f"R0,{p['primary'].code},accept,5\n"
        f"R1,{p['primary'].code},decline,2\nR1,{p['secondary'].code},accept,7\n"
    )
    (tmp_path / "S.json").write_text(json.dumps({"EXE": {"allocation_mode": "broadcast"}}))
    database = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "replay",
            "--referrals",
            str(tmp_path / "R.jsonl"),
            "--answers",
            str(tmp_path / "A.csv"),
            "--settings",
            str(tmp_path / "S.json"),
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    # Broadcast: R1's secondary accepts though the primary declined; R2 nobody answers.
    assert [p["provider"] for p in out["packages"]] == [
        p["primary"].code,
        p["secondary"].code,
        None,
    ]
    assert counts() == before
    zone.refresh_from_db()
    assert zone.allocation_mode == AllocationMode.CASCADE
    live.refresh_from_db()
    assert live.status == OfferStatus.PENDING
