"""GET /health/: 200 when the database and the broker answer, 503 naming what does not."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from brokerage.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


@pytest.mark.django_db
def test_healthy_when_database_and_broker_answer(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}


@pytest.mark.django_db
def test_unavailable_names_the_broker_when_it_does_not_answer(client, monkeypatch):
    # Celery prefers the environment variable to its configuration when both are set.
    monkeypatch.setenv("CELERY_BROKER_URL", CLOSED_PORT_BROKER)
    monkeypatch.setitem(celery_app.conf, "broker_url", CLOSED_PORT_BROKER)
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["broker"]
    assert body["checks"]["database"] == "ok"


def test_unavailable_names_the_database_when_it_does_not_answer(tmp_path):
    # A process of its own, so its database connection really points at a closed port.
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/health/');"
        "print(r.status_code, r.content.decode())"
    )
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "brokerage.settings",
        "BROKERAGE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/brokerage",
        "CELERY_BROKER_URL": CLOSED_PORT_BROKER,
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    status, _, body = result.stdout.strip().partition(" ")
    assert status == "503"
    assert json.loads(body)["failing"] == ["database", "broker"]


@pytest.mark.django_db
def test_health_needs_no_sign_in_and_only_answers_get(client):
    assert client.post("/health/").status_code == 405
