"""Run the whole product on one machine: the web server and one Celery worker that is also beat.

`make run` ends here, as `run_everything --setup`: migrate and seed_demo first, each
summed up in a line. Both children read the same settings as this process, so with no
DATABASE_URL / CELERY_BROKER_URL they share the SQLite file and the filesystem broker
under var/, and with them set they share PostgreSQL and Redis. Everything they print
goes to var/log/run.log; the terminal shows the welcome (address and demo logins)
last, then only what needs a person: emails, warnings and errors, with the welcome
again after a few quiet minutes so that it is never scrolled out of sight.
Ctrl-C (or SIGTERM, SIGHUP) stops both and waits for them; if either dies on its
own, the other is stopped too so nothing is left half-running.
"""

import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from brokerage.celery import app as celery_app
from demo.management.commands.seed_demo import STEPS as DEMO_STEPS
from demo.market import ACCOUNTS, DEMO_PASSWORD

# Celery's warm shutdown finishes the task in hand; past this it is killed.
STOP_TIMEOUT_SECONDS = 20
WEB_START_TIMEOUT_SECONDS = 30
WORKER_START_TIMEOUT_SECONDS = 60
# After anything is shown, the welcome comes back once the terminal has been quiet this long.
WELCOME_AGAIN_AFTER_SECONDS = 180
# What the terminal shows when a child dies: the end of its story.
LAST_LINES_ON_FAILURE = 30

WEB = ["django", "runserver", "--noreload", "--skip-checks"]
# One worker that is also beat (-B), running one task at a time (solo).
WORKER = ["celery", "-A", "brokerage", "worker", "-B", "--pool=solo", "--loglevel=INFO"]
# A lone worker has no peers to sync with (mingle) or to tell it is alive (gossip,
# heartbeat); without them it also starts and stops a second sooner each.
LONE = ["--without-mingle", "--without-gossip", "--without-heartbeat"]

# Lines that go to the log only: runserver's start-up and request lines (a server error
# is shown), Celery's INFO lines (a task received, run, scheduled) and its start-up
# banner, and kombu saying that the filesystem broker has no host.
ROUTINE = re.compile(
    r"""^(\[\d\d/\w{3}/\d{4} [\d:]{8}\] "[^"]*" [1-4]\d\d\b"""  # a request, not a 5xx
    r"|Not Found: /"
    r"|\[[\d\- :,]+: INFO/"
    r"|.*No hostname was supplied\. Reverting to default)"
)


class Command(BaseCommand):
    help = "Start runserver and one Celery worker with beat (-B); Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--setup",
            action="store_true",
            help="First migrate and load the demo data (seed_demo), one line each.",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stopping = False

    def handle(self, *, addr, port, setup, **options):
        # SIGHUP too: closing the terminal must not leave the children running.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.request_stop)
        # The worker's pings go through a broker URL with no host on purpose.
        logging.getLogger("kombu.connection").setLevel(logging.ERROR)
        log_path = self.open_log()
        if setup:
            self.set_up()
        # Links in the emails the worker sends point at this server unless told otherwise.
        os.environ.setdefault("SITE_URL", f"http://{addr}:{port}")
        self.say(f"Starting the web server and the worker (their output: {log_path})...")
        children = {
            "web": self.start("web", *WEB, f"{addr}:{port}"),
            "worker": self.start("worker", *WORKER, *LONE),
        }
        try:
            if self.wait_for_port(addr, port, children) and self.wait_for_worker(children):
                self.welcome = self.welcome_text(f"http://{addr}:{port}")
                self.say(self.welcome, style=self.style.SUCCESS)
            self.watch(children)
        finally:
            self.stop(children)
        if not self.stopping:
            self.say(self.last_lines(log_path))
            raise CommandError("a process exited unexpectedly (its last lines are above)")
        self.say("Stopped. The data is kept under var/ (or in your DATABASE_URL).")

    def open_log(self):
        log_path = settings.VAR_DIR / "log" / "run.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = log_path.open("a", buffering=1, encoding="utf-8")
        self.terminal = threading.Lock()  # one writer at a time, to the terminal and the log
        self.welcome = None
        self.last_shown = None  # when a child's line was last shown, after the welcome
        return log_path

    def set_up(self, demo_steps=DEMO_STEPS):
        """Migrate and seed the demo, each summed up in a line; their output goes to the log."""
        executor = MigrationExecutor(connection)
        pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
        if pending:
            self.say(f"Database: applying {pending} migrations...")
        output = io.StringIO()
        call_command("migrate", interactive=False, stdout=output, stderr=output)
        with self.terminal:
            self.log.write(output.getvalue())
        self.say(f"Database: {pending} migrations applied." if pending else "Database: up to date.")
        self.say("Demo data: loading what is missing (the first time takes a minute or two)...")
        for step in demo_steps:
            self.say(step())

    def watch(self, children):
        while not self.stopping:
            exited = [name for name, child in children.items() if child.poll() is not None]
            if exited:
                self.say(f"{', '.join(exited)} stopped unexpectedly; stopping the rest.")
                return
            self.welcome_again_if_quiet()
            time.sleep(0.5)

    def welcome_again_if_quiet(self):
        with self.terminal:
            quiet_since = self.last_shown
        if quiet_since and time.monotonic() - quiet_since > WELCOME_AGAIN_AFTER_SECONDS:
            self.say(self.welcome, style=self.style.SUCCESS)

    def start(self, name, module, *args):
        # Each child leads its own process group, so the terminal's Ctrl-C reaches
        # only this process, which then stops every child (and any of theirs) in order.
        child = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=settings.BASE_DIR,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self.relay, args=(name, child.stdout), daemon=True).start()
        return child

    def relay(self, name, lines):
        """Log each line a child prints; show the ones a person needs once the welcome is up."""
        for line in lines:
            with self.terminal:
                self.log.write(f"{name}: {line}")
            # Once stopping, what the children say as they stop is for the log only.
            if self.welcome and not self.stopping and line.strip() and not ROUTINE.match(line):
                self.say(line.rstrip("\n"), shown_after_welcome=True)

    def say(self, text, style=None, shown_after_welcome=False):
        with self.terminal:
            self.stdout.write(style(text) if style else text)
            self.stdout.flush()
            self.last_shown = time.monotonic() if shown_after_welcome else None

    def request_stop(self, signum, frame):
        self.stopping = True

    def stop(self, children):
        for child in children.values():
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()

    def wait_for_port(self, addr, port, children):
        deadline = time.monotonic() + WEB_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not self.stopping:
            if any(child.poll() is not None for child in children.values()):
                return False
            try:
                with socket.create_connection((addr, port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.3)
        return False

    def wait_for_worker(self, children):
        # The worker answers a ping through the broker once it is consuming, so the
        # welcome comes after its start-up, and proves the broker works.
        deadline = time.monotonic() + WORKER_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not self.stopping:
            if any(child.poll() is not None for child in children.values()):
                return False
            replies = celery_app.control.ping(timeout=1.0)
            if replies:
                self.say(self.worker_line(replies))
                return True
        return False

    def worker_line(self, replies):
        """Celery's start-up banner, in one line."""
        (name,) = replies[0]
        transport = urlsplit(celery_app.conf.broker_url).scheme
        tasks = len([task for task in celery_app.tasks if not task.startswith("celery.")])
        return (
            f"Worker: {name} ready, with the scheduler (beat), {tasks} tasks, {transport} broker."
        )

    def welcome_text(self, url):
        return "\n".join(
            [
                "",
                f"{settings.SERVICE_NAME} is running at {url}/",
                f"API docs: {url}/api/v1/docs/   Health: {url}/health/",
                f"Emails are printed here; their links point at {os.environ['SITE_URL']}/",
                "",
                *self.login_lines(),
                "",
                "A five-minute tour is in README.md. Press Ctrl-C to stop.",
                "",
            ]
        )

    def login_lines(self):
        lines = [f"Demo logins (seed_demo), all with the password {DEMO_PASSWORD}:"]
        for username, role, _, _, purpose in ACCOUNTS:
            lines.append(f"  {username:<20} {role.label:<16} {purpose}")
        return lines

    def last_lines(self, log_path):
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-LAST_LINES_ON_FAILURE:])
