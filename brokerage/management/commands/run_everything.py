"""Run the whole product on one machine: the web server and one Celery worker that is also beat.

`make run` ends here, after migrate and seed_demo. Both children read the same
settings as this process, so with no DATABASE_URL / CELERY_BROKER_URL they share
the SQLite file and the filesystem broker under var/, and with them set they
share PostgreSQL and Redis. Ctrl-C (or SIGTERM, SIGHUP) stops both and waits for them;
if either dies on its own, the other is stopped too so nothing is left half-running.
"""

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from brokerage.celery import app as celery_app
from demo.market import ACCOUNTS, DEMO_PASSWORD

# Celery's warm shutdown finishes the task in hand; past this it is killed.
STOP_TIMEOUT_SECONDS = 20
WEB_START_TIMEOUT_SECONDS = 30
WORKER_START_TIMEOUT_SECONDS = 60

WEB = ["django", "runserver", "--noreload", "--skip-checks"]
# One worker that is also beat (-B), running one task at a time (solo).
WORKER = ["celery", "-A", "brokerage", "worker", "-B", "--pool=solo", "--loglevel=INFO"]
# A lone worker has no peers to sync with (mingle) or to tell it is alive (gossip,
# heartbeat); without them it also starts and stops a second sooner each.
LONE = ["--without-mingle", "--without-gossip", "--without-heartbeat"]


class Command(BaseCommand):
    help = "Start runserver and one Celery worker with beat (-B); Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *, addr, port, **options):
        self.stopping = False
        # SIGHUP too: closing the terminal must not leave the children running.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.request_stop)
        # Links in the emails the worker sends point at this server unless told otherwise.
        os.environ.setdefault("SITE_URL", f"http://{addr}:{port}")
        children = {
            "web": self.start(*WEB, f"{addr}:{port}"),
            "worker": self.start(*WORKER, *LONE),
        }
        try:
            if self.wait_for_port(addr, port, children) and self.wait_for_worker(children):
                self.print_welcome(f"http://{addr}:{port}")
            while not self.stopping:
                exited = [name for name, child in children.items() if child.poll() is not None]
                if exited:
                    self.stderr.write(
                        f"{', '.join(exited)} stopped unexpectedly; stopping the rest."
                    )
                    break
                time.sleep(0.5)
        finally:
            self.stop(children)
        if not self.stopping:
            raise CommandError("a process exited unexpectedly (see its output above)")
        self.stdout.write("Stopped. The data is kept under var/ (or in your DATABASE_URL).")

    def start(self, module, *args):
        # Each child leads its own process group, so the terminal's Ctrl-C reaches
        # only this process, which then stops every child (and any of theirs) in order.
        return subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=settings.BASE_DIR,
            start_new_session=True,
        )

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
        # welcome comes after its start-up banner, and proves the broker works.
        deadline = time.monotonic() + WORKER_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline and not self.stopping:
            if any(child.poll() is not None for child in children.values()):
                return False
            if celery_app.control.ping(timeout=1.0):
                return True
        return False

    def print_welcome(self, url):
        lines = [
            "",
            f"{settings.SERVICE_NAME} is running at {url}/",
            f"API docs: {url}/api/v1/docs/   Health: {url}/health/",
            f"Emails are printed here; their links point at {os.environ['SITE_URL']}/",
            "",
            *self.login_lines(),
            "",
            "Press Ctrl-C to stop the web server and the worker.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    def login_lines(self):
        lines = [f"Demo logins (seed_demo), all with the password {DEMO_PASSWORD}:"]
        for username, role, _, _, purpose in ACCOUNTS:
            lines.append(f"  {username:<20} {role.label:<16} {purpose}")
        return lines
