"""A database made by the previous main migrates forward with every row kept, on SQLite and
on PostgreSQL (each in a process and a database of its own: see forward.py)."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def migrate_forward(database_url: str) -> dict:
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": "memory://"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.migrations.forward"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'previous-main.sqlite3'}"


@pytest.fixture
def postgres_url():
    """A new, empty PostgreSQL database beside the test database, dropped afterwards."""
    db = settings.DATABASES["default"]
    name = f"previous_main_{uuid.uuid4().hex[:10]}"
    server = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    auth = f"{db['USER']}:{db['PASSWORD']}@" if db["PASSWORD"] else f"{db['USER']}@"
    yield f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with server.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    server.close()


@pytest.mark.parametrize("backend", ["sqlite_url", "postgres_url"])
def test_offers_and_notifications_move_to_their_apps_with_every_row(backend, request):
    found = migrate_forward(request.getfixturevalue(backend))

    assert [(o["round"], o["status"]) for o in found["offers"]] == [
        (1, "declined"),
        (2, "pending"),
    ]
    package = found["offers"][0]["package"]
    offer, escalation = found["notifications"]
    assert offer["recipient__username"] == "alpha" and offer["kind"] == "offer"
    assert offer["message"] == f"New offer: package {package}"
    assert offer["package_id"] == package  # read from the offer its link names
    assert escalation["package_id"] == package and escalation["read_at"] is not None
    assert offer["event"] != escalation["event"]
    # The audit entry about an offer now points at the offer's new home.
    assert found["offer_audit"] == [["brokering", "offer", found["offers"][0]["pk"]]]
    assert found["deadline_warnings"] == ["due_soon"]
    assert found["invoice_warned"] == ["due_soon"]


@pytest.mark.parametrize("backend", ["sqlite_url", "postgres_url"])
def test_every_package_gets_its_first_version_and_its_placements(backend, request):
    found = migrate_forward(request.getfixturevalue(backend))

    (open_package, placed) = sorted(found["versions"], key=int)
    (first,) = found["versions"][open_package]
    assert first["number"] == 1 and first["effective_from"] is None
    assert first["weekly_hours"] == "7.00"
    assert first["visits"] == [["08:00:00", 45], ["18:00:00", 30]]
    assert first["plan"] == ["8.00", "6.00", "8.00", "6.00"]
    assert found["placements"][open_package] == []
    assert [v["visits"] for v in found["versions"][placed]] == [[["09:00:00", 210]]]
    # Alpha cared from the start until it handed the package back; Beta since it took over.
    assert found["placements"][placed] == [
        ["ALPHA", "2026-11-02", "2026-11-18"],
        ["BETA", "2026-11-20", None],
    ]


@pytest.mark.parametrize("backend", ["sqlite_url", "postgres_url"])
def test_each_providers_rate_becomes_an_every_zone_rate_from_before_anything_it_prices(
    backend, request
):
    found = migrate_forward(request.getfixturevalue(backend))

    # The earliest day in the database is the invoice's first (1 October 2026): every
    # invoice, visit and day of care is priced at the rate it was before.
    assert found["rates"] == [
        ["ALPHA", None, "24.96", "2026-10-01"],
        ["BETA", None, "25.00", "2026-10-01"],
    ]
    assert found["contracts"] == [["ALPHA", "primary", 80, "0.00", None]]
    assert found["contracts_start_on_their_creation"] is True


@pytest.mark.parametrize("backend", ["sqlite_url", "postgres_url"])
def test_the_delivery_rollup_counts_every_visit_kept(backend, request):
    found = migrate_forward(request.getfixturevalue(backend))

    assert found["delivered_visits"] == [
        ["2026-11-09", False, 210],
        ["2026-11-16", False, 210],
        ["2026-11-23", True, 0],
    ]
    # The missed Monday had no row of its own: counting visits gives it one, with no minutes.
    assert found["daily_delivery"] == [
        ["2026-11-09", 1, 210],
        ["2026-11-16", 1, 210],
        ["2026-11-23", 1, 0],
    ]
    # All three fall in the spend period of 28 days from Monday 2 November 2026.
    assert found["period_delivery"] == [["2026-11-02", 3, 420]]
