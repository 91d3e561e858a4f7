"""Benchmark of brokering with a real Celery worker on Redis and PostgreSQL.

    python -m bench.brokering [--packages 300] [--rate 10] [--race-packages 100]

Creates a dedicated database next to the one in DATABASE_URL, named
`<name>_bench_brokering` (dropped and made afresh each run), starts a Celery
worker subprocess on a queue of its own on CELERY_BROKER_URL, and measures:

- submit -> first offer: from a package's `submitted_at` to its first
  offer's `sent_at`, over `--packages` packages submitted at `--rate` a second;
- decline -> next offer: from a declined offer's `answered_at` to the next
  offer's `sent_at`, over the same packages;
- accepts under 50 concurrent clients of the HTTP API (served by gunicorn
  as in production): every client tries to accept its own offer of each of
  `--race-packages` broadcast packages, all at once;
  every package must end with exactly one accepted offer (zero double
  placements: two accepted offers or two placements of one package), and none
  unplaced; a client posts only the offers the worker sent its provider.

Targets: p95 under 2 s for both latencies; accepts at ACCEPT_TARGET_PER_SECOND
requests a second or more, with no double placement. Exits 1 if a package was placed
twice or not at all, or the worker lost a package or an offer, 0 otherwise (the table says whether the
latency target was met).
"""

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.report import Figure, Report

QUEUE = "bench-brokering"
SERVER_LOG = Path(tempfile.gettempdir()) / "bench-brokering-gunicorn.log"
CLIENTS = 50
# Brokering tasks spend half their time waiting for PostgreSQL: two processes a core.
WORKER_PROCESSES = 2 * (os.cpu_count() or 1)
TARGET_P95_SECONDS = 2.0
ACCEPT_TARGET_PER_SECOND = 400
WAIT_SECONDS = 120


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL to a postgres:// URL.")
    name = parts.path.lstrip("/") or "brokerage"
    return urlunsplit(parts._replace(path=f"/{name}_bench_brokering"))


def configure_environment():
    """Point this process (and the worker it starts) at the bench database and queue."""
    os.environ["DATABASE_URL"] = bench_database_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    os.environ["EMAIL_URL"] = "dummymail://"  # offers email providers' users: not measured
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def use_own_queue():
    from brokerage.celery import app

    app.conf.task_default_queue = QUEUE
    return app


def run_worker():
    """The worker subprocess (its environment already points at the bench database): the
    project's Celery app, consuming only the bench's queue."""
    app = use_own_queue()
    app.worker_main(
        [
            *("worker", "-Q", QUEUE, f"--concurrency={WORKER_PROCESSES}", "--loglevel=WARNING"),
            *("--without-gossip", "--without-mingle"),
        ]
    )


def create_database():
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    django.setup()
    default = settings.DATABASES["default"]
    name = default["NAME"]
    default["NAME"] = "postgres"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connections["default"].close()
    default["NAME"] = name
    call_command("migrate", verbosity=0)
    return name


def drop_database(name):
    from django.conf import settings
    from django.db import connection, connections

    connections.close_all()
    settings.DATABASES["default"]["NAME"] = "postgres"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connections.close_all()


def start_worker(log):
    worker = subprocess.Popen(
        [sys.executable, "-m", "bench.brokering", "--worker"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )
    app = use_own_queue()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            sys.exit("The Celery worker exited while starting.")
        if app.control.ping(timeout=0.5):
            log(f"worker {worker.pid} ready")
            return worker
    worker.terminate()
    sys.exit("The Celery worker did not answer within 60 s.")


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- The market ------------------------------------------------------------


def make_market(race_clients):
    """A cascade zone (primary, secondary, two framework providers) and a broadcast zone
    with `race_clients` providers, each with a provider user (offers notify users)."""
    from accounts.models import Role, User
    from providers.models import Contract, Provider
    from zones.models import AllocationMode, PostcodeDistrict, Zone

    def provider(code):
        row = Provider.objects.create(
            code=code,
            name=f"Bench provider {code}",
            cqc_rating="good",
            status="active",
        )
        User.objects.create(
            username=f"user-{code}".lower(),
            email=f"{code.lower()}@bench.example.org",
            role=Role.PROVIDER,
            provider=row,
        )
        return row

    cascade = Zone.objects.create(
        code="BENCH-C", name="Bench cascade", allocation_mode=AllocationMode.CASCADE
    )
    PostcodeDistrict.objects.create(zone=cascade, district="BX1")
    for code, role in [("C-1", "primary"), ("C-2", "secondary"), ("C-3", "framework")]:
        Contract.objects.create(zone=cascade, provider=provider(code), role=role)
    Contract.objects.create(zone=cascade, provider=provider("C-4"), role="framework")
    broadcast = Zone.objects.create(
        code="BENCH-B", name="Bench broadcast", allocation_mode=AllocationMode.BROADCAST
    )
    PostcodeDistrict.objects.create(zone=broadcast, district="BX2")
    for n in range(race_clients):
        Contract.objects.create(zone=broadcast, provider=provider(f"B-{n:02d}"))
    broker = User.objects.create(username="bench.broker", role=Role.BROKER)
    return cascade, broadcast, broker


def draft_packages(zone, count, first_number):
    """`count` draft packages in `zone`, each with its own (never-issued) NHS number."""
    import datetime

    from django.utils import timezone

    from packages.models import Package, PackageVersion, Person, Visit
    from packages.nhs import demo_nhs_number

    district = zone.districts.get().district
    people = Person.objects.bulk_create(
        Person(
            nhs_number=demo_nhs_number(first_number + n),
            given_name="Bench",
            family_name=f"Person {first_number + n}",
            date_of_birth=datetime.date(1940, 1, 1),
            address_line="1 Bench Street",
            postcode=f"{district} 1AA",
        )
        for n in range(count)
    )
    packages = Package.objects.bulk_create(
        Package(
            person=person,
            zone=zone,
            source="hospital_discharge",
            start_date=timezone.localdate(),
            weekly_hours="5.25",
        )
        for person in people
    )
    versions = PackageVersion.objects.bulk_create(
        PackageVersion(package=package, number=1, weekly_hours="5.25", created_at=timezone.now())
        for package in packages
    )
    Visit.objects.bulk_create(
        Visit(
            version=version,
            days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            time=datetime.time(8, 0),
            duration_minutes=45,
            purpose="personal_care",
        )
        for version in versions
    )
    return [package.pk for package in packages]


# --- Measurements ----------------------------------------------------------


def paced(items, rate):
    """Yield items no faster than `rate` a second."""
    start = time.monotonic()
    for n, item in enumerate(items):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield item


def wait_until(count_done, expected, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if count_done() >= expected:
            return True
        time.sleep(0.1)
    print(f"  only {count_done()} of {expected} {what} within {WAIT_SECONDS} s")
    return False


def submit_to_first_offer(package_ids, broker, rate):
    from django.db.models import Min

    from brokering.models import Offer
    from packages import services as packages_services
    from packages.models import Package

    for package_id in paced(package_ids, rate):
        packages_services.submit_package(package_id=package_id, by=broker)
    offered = Offer.objects.filter(package_id__in=package_ids)
    complete = wait_until(
        lambda: offered.values("package_id").distinct().count(), len(package_ids), "offered"
    )
    submitted = dict(Package.objects.filter(pk__in=package_ids).values_list("pk", "submitted_at"))
    firsts = offered.values("package_id").annotate(first=Min("sent_at"))
    return [
        (row["first"] - submitted[row["package_id"]]).total_seconds() for row in firsts
    ], complete


def decline_to_next_offer(package_ids, rate):
    from brokering import services
    from brokering.models import Offer, OfferStatus

    declined = {}
    pending = Offer.objects.filter(package_id__in=package_ids, status=OfferStatus.PENDING)
    for offer in paced(list(pending.select_related("provider")), rate):
        user = offer.provider.users.get()
        answer = services.decline_offer(offer_id=offer.pk, by=user, reason="no_capacity")
        declined[offer.package_id] = answer.answered_at
    nexts = Offer.objects.filter(package_id__in=declined, round=1).exclude(
        status=OfferStatus.DECLINED
    )
    complete = wait_until(nexts.count, len(declined), "offered again")
    return [
        (sent_at - declined[package_id]).total_seconds()
        for package_id, sent_at in nexts.values_list("package_id", "sent_at")
    ], complete


def web_application():
    """The project's WSGI application for gunicorn, its tasks (the emails of offers withdrawn,
    brokering moving on) sent to the bench's queue: on the default queue no bench worker
    reads them, and whatever worker shares the broker would."""
    use_own_queue()
    from brokerage.wsgi import application

    return application


def start_web_server(log):
    """gunicorn serving the project on a free local port, as in production (gthread workers)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    workers = str(2 * (os.cpu_count() or 1))
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "bench.brokering:web_application()"),
            *("--bind", f"127.0.0.1:{port}"),
            *("--workers", workers, "--worker-class", "gthread", "--threads", "4"),
        ],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=SERVER_LOG.open("w"),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            log(f"gunicorn {server.pid} serving on port {port} ({workers} workers x 4 threads)")
            return server, port
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start within 60 s.")


def accept_race(package_ids, port, log=print):
    """50 API clients over HTTP, each accepting its own offer of every package, all at once.

    Each client posts only the offers the worker actually sent its provider (read back from
    the database), so a provider left out of a package is counted, not a crash."""
    from accounts import tokens as api_tokens
    from accounts.models import User
    from brokering.models import Offer

    sent = Offer.objects.filter(package_id__in=package_ids)
    waited = time.monotonic()
    wait_until(sent.count, CLIENTS * len(package_ids), "offers sent by the worker")
    log(f"  the worker sent {sent.count()} offers in {time.monotonic() - waited:.1f} s")
    offers = {}
    for offer_id, package_id, user_id in sent.values_list("pk", "package_id", "provider__users"):
        offers.setdefault(user_id, {})[package_id] = offer_id
    missing = CLIENTS * len(package_ids) - sum(len(mine) for mine in offers.values())
    if missing:
        log(f"  {short_of_offers(package_ids)}")
    users = User.objects.in_bulk(offers)
    tokens = {user_id: api_tokens.issue(users[user_id])[1] for user_id in offers}
    barrier = threading.Barrier(len(offers) + 1)
    codes = []

    def client(user_id):
        headers = {"Authorization": f"Token {tokens[user_id]}", "Content-Length": "0"}
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        barrier.wait()
        for package_id in package_ids:
            if package_id not in offers[user_id]:
                continue
            connection.request(
                "POST", f"/api/v1/offers/{offers[user_id][package_id]}/accept/", headers=headers
            )
            response = connection.getresponse()
            response.read()
            mine.append(response.status)
        connection.close()
        codes.extend(mine)

    threads = [threading.Thread(target=client, args=(user_id,)) for user_id in offers]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    return max(time.monotonic() - started, 1e-6), codes, len(offers), missing


def short_of_offers(package_ids) -> str:
    """Why offers are missing: packages the worker has not brokered yet (its queue is behind),
    or packages offered to fewer than every provider (the engine left some out)."""
    from django.db.models import Count

    from packages.models import Package

    counted = Package.objects.filter(pk__in=package_ids).annotate(offered=Count("offers"))
    unbrokered = counted.filter(offered=0).count()
    fewer = counted.filter(offered__gt=0, offered__lt=CLIENTS).count()
    return (
        f"{unbrokered} packages not offered to anyone yet (the worker is behind), "
        f"{fewer} offered to fewer than {CLIENTS} providers"
    )


def placements(package_ids) -> tuple[int, int]:
    """(packages placed twice, packages not placed): placed twice is more than one accepted
    offer or more than one placement, or placed with another provider than the accepted
    offer's."""
    from django.db.models import Count, F, Q

    from brokering.models import OfferStatus
    from packages.models import Package

    checked = Package.objects.filter(pk__in=package_ids).annotate(
        accepted=Count("offers", filter=Q(offers__status=OfferStatus.ACCEPTED), distinct=True),
        accepted_by_its_provider=Count(
            "offers",
            filter=Q(offers__status=OfferStatus.ACCEPTED, offers__provider=F("provider")),
            distinct=True,
        ),
        placed=Count("placements", distinct=True),
    )
    doubles = checked.filter(
        Q(accepted__gt=1) | Q(placed__gt=1) | Q(accepted=1, accepted_by_its_provider=0)
    ).count()
    return doubles, checked.exclude(status="placed").count()


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def latency_row(name, values):
    if not values:
        return f"{name:28} {0:>6}  {'-':>8}  {'-':>8}  {'-':>8}  no data"
    p50, p95 = statistics.median(values), percentile(values, 0.95)
    verdict = "ok" if p95 < TARGET_P95_SECONDS else f"SLOW (target p95 < {TARGET_P95_SECONDS} s)"
    return (
        f"{name:28} {len(values):>6}  {p50:>7.3f}s  {p95:>7.3f}s  {max(values):>7.3f}s  {verdict}"
    )


def run(args, log=print):
    configure_environment()
    name = create_database()
    log(f"database {name} created and migrated")
    worker = start_worker(log)
    server, port = start_web_server(log)
    try:
        cascade, broadcast, broker = make_market(CLIENTS)
        package_ids = draft_packages(cascade, args.packages, first_number=1)
        log(f"submitting {args.packages} packages at {args.rate}/s ...")
        first, offered_all = submit_to_first_offer(package_ids, broker, args.rate)
        log("declining their first offers ...")
        after_decline, reoffered_all = decline_to_next_offer(package_ids, args.rate)
        race_ids = draft_packages(broadcast, args.race_packages, first_number=args.packages + 1)
        from packages import services as packages_services

        for package_id in race_ids:
            packages_services.submit_package(package_id=package_id, by=broker)
        log(f"{CLIENTS} clients accepting {args.race_packages} packages at once ...")
        elapsed, codes, clients, missing = accept_race(race_ids, port, log)
        doubles, unplaced = placements(race_ids)
    finally:
        stop(server)
        stop(worker)
        drop_database(name)

    statuses = Counter(codes)
    winners = statuses[200]
    lines = [
        "",
        f"Brokering benchmark: a real Celery worker ({WORKER_PROCESSES} processes) on Redis, "
        f"PostgreSQL; {args.packages} packages submitted (then declined) at {args.rate:g}/s",
        f"{'measure':28} {'n':>6}  {'p50':>8}  {'p95':>8}  {'max':>8}",
        latency_row("submit -> first offer", first),
        latency_row("decline -> next offer", after_decline),
        "",
        f"accept race: {clients} concurrent HTTP API clients x {len(race_ids)} packages = "
        f"{len(codes)} accept requests in {elapsed:.2f} s",
        f"  {len(codes) / elapsed:.0f} requests/s, {winners / elapsed:.1f} accepted packages/s; "
        f"answers: {dict(sorted(statuses.items()))}",
        f"  double placements: {doubles}; not placed: {unplaced} of {len(race_ids)}; "
        f"offers the worker did not send: {missing} of {CLIENTS * len(race_ids)}",
    ]
    log("\n".join(lines))
    report = Report(log=log)
    report.add(
        Figure(
            "brokering:accept:requests_per_second",
            f"accepts at {clients} clients, requests a second",
            len(codes) / elapsed,
            "req/s",
            ACCEPT_TARGET_PER_SECOND,
            higher_is_better=True,
        )
    )
    report.add(Figure("brokering:accept:double", "double placements", doubles, "", 0))
    if args.record_baseline:
        report.record_baseline()
    if set(statuses) - {200, 409}:
        log(f"  unexpected answers: see the server's log, {SERVER_LOG}")
    lost = not (offered_all and reoffered_all)
    return 1 if doubles or unplaced or missing or lost or report.missed else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.brokering", description=__doc__)
    parser.add_argument("--packages", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0, help="submits (and declines) a second")
    parser.add_argument("--race-packages", type=int, default=100)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--record-baseline", action="store_true")
    args = parser.parse_args(argv)
    if args.worker:
        run_worker()
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
