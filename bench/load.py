"""Benchmark of the busiest pages and endpoints under load, on the county database.

    python -m bench.load [--seconds 10] [--clients 50] [--record-baseline]

Serves the county bench database (bench.generate) with gunicorn as in production
(DEBUG off, static files collected, gthread workers: two a core, four threads each)
and loads each of the worklist (a broker), the provider portal's offers (the provider
offered the most work), a package page (a broker) and the packages API (an
administrator, by token) with wrk: `--clients` connections, each sending its next
request as soon as the last is answered, for `--seconds` after a short warm-up. Target:
p95 under LOAD_P95_LIMIT_MS at 50 clients, and no answer but 200.

wrk comes from Debian's packages (`apt-get install wrk`).
"""

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.report import Figure, Report

LOAD_P95_LIMIT_MS = 300
# The server's and this process's: the sessions made here must be good there.
SECRET_KEY = "bench-load-only-never-used-to-sign-anything-real"
WARM_UP_SECONDS = 2
# wrk gives up on an answer after this long; one not answered at all counts as this slow.
TIMEOUT_SECONDS = 10
# wrk's report, one line: requests, non-200 answers and errors, p50, p95, p99 (ms), rate.
WRK_SCRIPT = """
local headers = os.getenv("BENCH_HEADERS")
for name, value in string.gmatch(headers, "([^\\n:]+): ([^\\n]+)") do
  wrk.headers[name] = value
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.1f %.1f %.1f %.1f\\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.requests / (summary.duration / 1e6)))
end
"""


def _county_url():
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    name = parts.path.lstrip("/") or "brokerage"
    return urlunsplit(parts._replace(path=f"/{name}_bench_county"))


def _targets():
    """(name, url, headers) for each measured page, signed in as its reader."""
    from django.db.models import Count
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import tokens, two_factor
    from accounts.models import Role, User
    from brokering.models import Offer, OfferStatus
    from packages.models import Package, PackageStatus

    def user(name, role, **fields):
        found, _ = User.objects.get_or_create(username=name, defaults={"role": role, **fields})
        return found

    def session(who):
        """A session cookie signed in as `who`, past the second factor staff give in
        production (the server runs with DEBUG off, whatever this process has): else
        every page answers a redirect to set it up."""
        client = Client()
        client.force_login(who)
        if who.role in two_factor.STAFF_ROLES:
            device, _ = TOTPDevice.objects.get_or_create(
                user=who, confirmed=True, defaults={"name": two_factor.DEVICE_NAME}
            )
            signed_in = client.session
            signed_in[DEVICE_ID_SESSION_KEY] = device.persistent_id
            signed_in.save()
        return {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}

    broker = user("bench.broker", Role.BROKER)
    admin = user("bench.admin", Role.ADMIN)
    offered = (
        Offer.objects.filter(status=OfferStatus.PENDING)
        .values("provider_id")
        .annotate(n=Count("*"))
        .order_by("-n", "provider_id")
        .first()
    )
    provider_id = offered["provider_id"] if offered else Offer.objects.first().provider_id
    staff = User.objects.filter(provider_id=provider_id).order_by("pk").first() or user(
        "bench.provider.load", Role.PROVIDER, provider_id=provider_id
    )
    # A package placed long enough ago to have a full timeline and delivered visits.
    package = Package.objects.filter(status=PackageStatus.PLACED).order_by("placed_at").first()
    _, token = tokens.issue(admin)
    return [
        ("worklist page (broker)", "/packages/worklist/", session(broker)),
        ("portal offers page (provider)", "/brokering/offers/", session(staff)),
        ("package page (broker)", f"/packages/{package.pk}/", session(broker)),
        ("packages API (admin)", "/api/v1/packages/", {"Authorization": f"Token {token}"}),
    ]


def _serve(database_url, var_dir, log):
    """gunicorn on the county database, as in production; (process, port)."""
    from bench.brokering import start_web_server

    env = {
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "BROKERAGE_VAR_DIR": str(var_dir),
        "CELERY_BROKER_URL": "memory://",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        return start_web_server(log)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _status(port, url, headers) -> int:
    # The first answer of a worker just started takes longest: given a minute.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", url, headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


def _wrk(port, url, headers, clients, seconds, script):
    env = {**os.environ, "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in headers.items())}
    command = [
        "wrk",
        *("-t", "2", "-c", str(clients), "-d", f"{seconds}s", "--timeout", f"{TIMEOUT_SECONDS}s"),
        *("-s", str(script), f"http://127.0.0.1:{port}{url}"),
    ]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    requests, bad, p50, p95, p99, rate = line.split()[1:]
    if not int(requests):  # wrk's percentiles of no answers read 0 ms
        p50 = p95 = p99 = TIMEOUT_SECONDS * 1000
    return int(requests), int(bad), float(p50), float(p95), float(p99), float(rate)


def run(args, report):
    from bench.brokering import stop
    from bench.dashboard import use_bench_database

    if shutil.which("wrk") is None:
        sys.exit("The load benchmark needs wrk: apt-get install wrk")
    use_bench_database("county", log=report.log)
    targets = _targets()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as var_dir:
        script = Path(var_dir) / "report.lua"
        script.write_text(WRK_SCRIPT)
        server, port = _serve(_county_url(), var_dir, report.log)
        try:
            for name, url, headers in targets:
                # wrk counts only 4xx and 5xx as errors: a redirect (to sign in, to the
                # second factor) would be timed as if it were the page.
                answered = _status(port, url, headers)
                if answered != 200:
                    sys.exit(f"{name}: {url} answered {answered}, not 200: nothing to measure.")
                _wrk(port, url, headers, min(args.clients, 10), WARM_UP_SECONDS, script)
                requests, bad, p50, p95, p99, rate = _wrk(
                    port, url, headers, args.clients, args.seconds, script
                )
                report.log(
                    f"  {name}: {requests} requests, {rate:.0f}/s, p50 {p50:.0f} ms, "
                    f"p99 {p99:.0f} ms, {bad} not answered 200"
                )
                label = f"county {name} p95 at {args.clients} clients"
                key = f"load:county:{name}:p95"
                figure = report.add(Figure(key, label, p95, "ms", LOAD_P95_LIMIT_MS))
                if bad or not requests:
                    figure.target = 0  # an error under load misses the target whatever the time
        finally:
            stop(server)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--record-baseline", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["SECRET_KEY"] = SECRET_KEY
    from bench.dashboard import _setup_django

    _setup_django()
    report = Report()
    run(args, report)
    if args.record_baseline:
        report.record_baseline()
    print(f"load benchmark: {len(report.figures) - len(report.missed)} within target")
    return 1 if report.missed else 0


if __name__ == "__main__":
    sys.exit(main())
