"""`make run` end to end on the embedded defaults: SQLite and the filesystem broker under var/.

What `make run` does, in a temporary var/ folder: migrate, then run_everything
(seed_demo, which `make run` runs in between, has tests of its own). The web
server answers, a task sent from another process reaches the worker through the
filesystem broker, and Ctrl-C stops everything.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.worker


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return None


@pytest.fixture
def embedded_env(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in ("DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DEBUG", "SECRET_KEY", "SITE_URL")
    }
    env["BROKERAGE_VAR_DIR"] = str(tmp_path)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_make_run_serves_pages_runs_tasks_and_stops_on_ctrl_c(embedded_env, tmp_path):
    manage(embedded_env, "migrate", "--noinput")
    port = free_port()
    log = tmp_path / "run.log"
    with log.open("w") as output:
        run = subprocess.Popen(
            [sys.executable, "manage.py", "run_everything", "--port", str(port)],
            cwd=ROOT,
            env=embedded_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_status(f"{url}/health/") == 200, 60, "/health/")
        assert http_status(f"{url}/accounts/login/") == 200
        # The welcome comes once the worker answers a ping through the broker.
        wait_until(lambda: "Demo logins" in log.read_text(), 60, "the welcome")
        # The worker's emails link to this server, whatever its port.
        assert f"their links point at {url}/" in log.read_text()

        # Sent from a process of its own, as the web server sends tasks.
        manage(
            embedded_env,
            "shell",
            "-c",
            "from brokering.tasks import sweep_brokering; sweep_brokering.delay()",
        )
        ran = re.compile(r"Task brokering\.tasks\.sweep_brokering\[[-\w]+\] succeeded")
        wait_until(lambda: ran.search(log.read_text()), 60, "the worker to run the task")

        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=60) == 0, log.read_text()
    finally:
        # Stopped the way an operator would, so that its children go with it.
        if run.poll() is None:
            run.terminate()
            run.wait(timeout=60)
    assert http_status(f"{url}/health/") is None
    assert "Stopped." in log.read_text()
