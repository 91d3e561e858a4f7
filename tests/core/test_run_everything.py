"""`make run` end to end on the embedded defaults: SQLite and the filesystem broker under var/.

What `make run` (`run_everything --setup`) does, in a temporary var/ folder: migrate and
load the demo market, each summed up in a line (the demo history, slow on SQLite, has
tests of its own), then start the web server and the worker. The web server answers, a
task sent from another process reaches the worker through the filesystem broker, the
terminal ends with the welcome while the children's lines go to var/log/run.log, and
Ctrl-C stops everything.
"""

import io
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

from brokerage.management.commands import run_everything

ROOT = Path(__file__).resolve().parents[2]


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


def set_up(env):
    """run_everything --setup's first part, with only the quick demo step."""
    return manage(
        env,
        "shell",
        "-c",
        "from brokerage.management.commands.run_everything import Command\n"
        "from demo.market import seed_market\n"
        "command = Command()\n"
        "command.open_log()\n"
        "command.set_up(demo_steps=[seed_market])",
    )


@pytest.mark.worker
def test_make_run_serves_pages_runs_tasks_and_stops_on_ctrl_c(embedded_env, tmp_path):
    log = tmp_path / "log" / "run.log"
    shown = set_up(embedded_env)
    applied = re.search(r"^Database: (\d+) migrations applied\.$", shown, re.M)
    assert applied and int(applied[1]) > 50, shown
    assert "Applying " not in shown and "Applying accounts.0001_initial" in log.read_text()
    assert re.search(r"^Demo market: ", shown, re.M), shown

    port = free_port()
    terminal = tmp_path / "terminal.txt"
    with terminal.open("w") as output:
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
        wait_until(lambda: "Demo logins" in terminal.read_text(), 60, "the welcome")
        # The worker's emails link to this server, whatever its port.
        assert f"their links point at {url}/" in terminal.read_text()

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
        assert run.wait(timeout=60) == 0, terminal.read_text()
    finally:
        # Stopped the way an operator would, so that its children go with it.
        if run.poll() is None:
            run.terminate()
            run.wait(timeout=60)
    assert http_status(f"{url}/health/") is None
    shown = terminal.read_text()
    # One line for the worker's banner; the welcome last, until Ctrl-C.
    assert re.search(r"^Worker: celery@\S+ ready, with the scheduler \(beat\)", shown, re.M)
    before_stop = shown[: shown.index("Stopped.")].rstrip()
    assert before_stop.endswith("A five-minute tour is in README.md. Press Ctrl-C to stop."), shown
    assert "celery@" in log.read_text() and "Task " not in shown and '"GET ' not in shown


LINES = [
    '[03/Dec/2026 09:14:31] "GET /packages/ HTTP/1.1" 200 905',
    "Not Found: /favicon.ico",
    '[03/Dec/2026 09:14:32] "GET /favicon.ico HTTP/1.1" 404 179',
    '[03/Dec/2026 09:14:33] "POST /packages/new/ HTTP/1.1" 500 145',
    "[2026-12-03 09:14:34,120: INFO/MainProcess] Task brokering.tasks.sweep succeeded",
    "[2026-12-03 09:14:34,121: INFO/Beat] Scheduler: Sending due task sweep-brokering",
    "[2026-12-03 09:14:35,000: WARNING/MainProcess] kombu.connection: No hostname was "
    "supplied. Reverting to default 'localhost'",
    "[2026-12-03 09:14:36,000: ERROR/MainProcess] Task invoicing.tasks.build raised",
    "Subject: New offer: package 12",
    "To: office@example.org",
]


def test_the_terminal_shows_what_a_person_needs_and_the_welcome_again_when_quiet(
    settings, tmp_path, monkeypatch
):
    settings.VAR_DIR = tmp_path
    terminal = io.StringIO()
    command = run_everything.Command(stdout=terminal)
    command.open_log()
    command.welcome = "WELCOME"
    monkeypatch.setattr(run_everything, "WELCOME_AGAIN_AFTER_SECONDS", 0)
    command.welcome_again_if_quiet()
    assert terminal.getvalue() == ""  # nothing shown since the welcome: nothing to repeat

    command.relay("web", io.StringIO("".join(line + "\n" for line in LINES)))

    assert terminal.getvalue().splitlines() == [LINES[3], LINES[7], LINES[8], LINES[9]]
    logged = (tmp_path / "log" / "run.log").read_text().splitlines()
    assert logged == [f"web: {line}" for line in LINES]
    command.welcome_again_if_quiet()
    assert terminal.getvalue().endswith("To: office@example.org\nWELCOME\n")
    command.welcome_again_if_quiet()
    assert terminal.getvalue().count("WELCOME") == 1  # once, until something else is shown
