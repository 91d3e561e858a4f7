"""Benchmark of every list, page and API, at county and national scale.

    python -m bench.lists [--scale county|national] [--repeat 10] [--record-baseline]

Uses the dashboard benchmark's databases (bench.generate). Each list is fetched as the
user who reads it (finance the invoices, a provider its own offers and notifications, a
broker limited to three zones its worklist...), unfiltered and with the filters its
users reach for, and timed end to end through Django (query, count, rendering), p50 of
`--repeat` runs. Target: p50 under 150 ms at either scale, the dashboard's national
limit (LIST_LIMIT_MS): a list costs the same whatever the size of the market. Every list is
served by an index for its filter and its order: tests/test_list_plans.py checks the
plans on PostgreSQL.
"""

import argparse
import os
import statistics
import sys
import time

from bench.report import Figure, Report

LIST_LIMIT_MS = 150


def _users():
    """The users each list is read by, made once in the bench database."""
    from django.db.models import Count

    from accounts.models import Role, User
    from providers.models import Provider
    from zones.models import Zone

    def user(name, role, **fields):
        found, _ = User.objects.get_or_create(username=name, defaults={"role": role, **fields})
        return found

    # The provider offered the most work reads its own lists (the biggest there are), as
    # its user in the market (who has the notifications of its offers).
    busiest = Provider.objects.annotate(n=Count("offers")).order_by("-n", "pk").first()
    staff = User.objects.filter(provider=busiest).order_by("pk").first()
    limited = user("bench.broker.zones", Role.BROKER)
    limited.zones.set(Zone.objects.order_by("pk")[:3])
    return {
        "admin": user("bench.admin", Role.ADMIN),
        "broker": user("bench.broker", Role.BROKER),
        "zone broker": limited,
        "commissioner": user("bench.commissioner", Role.COMMISSIONER),
        "finance": user("bench.finance", Role.FINANCE),
        "provider": staff or user("bench.provider", Role.PROVIDER, provider=busiest),
    }


def lists():
    """(who, url) for every list and its usual filters."""
    from invoicing.models import Invoice
    from packages.models import Package
    from zones.models import Zone

    zone = Zone.objects.order_by("pk").values_list("code", flat=True).first()
    provider = (
        Package.objects.filter(status="placed")
        .order_by("pk")
        .values_list("provider__code", flat=True)
        .first()
    )
    invoiced = Invoice.objects.order_by("pk").values_list("provider__code", flat=True).first()
    return [
        ("admin", "/packages/all/"),
        ("commissioner", "/packages/all/?status=open"),
        ("admin", f"/packages/all/?zone={zone}"),
        ("admin", f"/packages/all/?provider={provider}"),
        ("admin", "/packages/all/?escalated=true"),
        ("zone broker", "/packages/all/"),
        ("broker", "/packages/worklist/"),
        ("zone broker", "/packages/worklist/"),
        ("broker", "/packages/worklist/?priority=urgent"),
        ("broker", "/packages/drafts/"),
        ("provider", "/packages/ours/"),
        ("admin", "/api/v1/packages/"),
        ("admin", "/api/v1/packages/?status=placed"),
        ("admin", f"/api/v1/packages/?zone={zone}"),
        ("admin", f"/api/v1/packages/?provider={provider}"),
        ("admin", "/api/v1/packages/?priority=urgent"),
        ("provider", "/api/v1/packages/"),
        ("finance", "/invoices/"),
        ("finance", "/invoices/?status=received"),
        ("finance", "/invoices/?deadline_status=overdue"),
        ("finance", f"/invoices/?provider={invoiced}"),
        ("provider", "/invoices/"),
        ("finance", "/api/v1/invoices/"),
        ("finance", "/api/v1/invoices/?deadline_status=due_soon"),
        ("provider", "/api/v1/invoices/"),
        ("finance", "/invoices/board/"),
        ("finance", "/invoices/visits/"),
        ("finance", f"/invoices/visits/?provider={provider}"),
        ("provider", "/invoices/visits/"),
        ("finance", "/api/v1/visits/"),
        ("provider", "/api/v1/visits/"),
        ("provider", "/brokering/offers/"),
        ("provider", "/brokering/offers/?status=declined"),
        ("admin", "/api/v1/offers/"),
        ("admin", "/api/v1/offers/?status=pending"),
        ("provider", "/api/v1/offers/"),
        ("provider", "/notifications/"),
        ("provider", "/api/v1/notifications/"),
        ("provider", "/api/v1/notifications/?read=false"),
        ("commissioner", "/providers/"),
        ("commissioner", "/providers/?status=active"),
        ("commissioner", "/api/v1/providers/"),
        ("commissioner", "/zones/"),
        ("commissioner", "/api/v1/zones/"),
        ("commissioner", "/api/v1/contracts/"),
        ("commissioner", f"/api/v1/contracts/?zone={zone}"),
        ("commissioner", "/providers/capacity/"),
        ("commissioner", "/api/v1/capacity/"),
        ("provider", "/providers/capacity/"),
        ("finance", "/invoices/payment-runs/"),
        ("finance", "/api/v1/payment-runs/"),
    ]


def _timed(client, url, repeat):
    def fetch():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return b"".join(response) if response.streaming else response.content

    fetch()  # warm caches and connections
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fetch()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def bench_scale(scale_name, repeat, report):
    from django.test import Client

    from bench.dashboard import use_bench_database

    use_bench_database(scale_name, log=report.log)
    users = _users()
    clients = {}
    for who, user in users.items():
        clients[who] = Client()
        clients[who].force_login(user)
    limit = LIST_LIMIT_MS
    for who, url in lists():
        p50 = _timed(clients[who], url, repeat)
        kind = "API" if url.startswith("/api/") else "page"
        name = f"{kind} {url} ({who})"
        report.add(Figure(f"lists:{scale_name}:{name}", f"{scale_name} {name}", p50, "ms", limit))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.lists", description=__doc__)
    parser.add_argument("--scale", choices=["county", "national"], action="append")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--record-baseline", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a line per sign-in
    from bench.dashboard import _setup_django

    _setup_django()
    report = Report()
    for scale_name in args.scale or ["county", "national"]:
        bench_scale(scale_name, args.repeat, report)
    if args.record_baseline:
        report.record_baseline()
    print(
        f"lists benchmark: {len(report.figures) - len(report.missed)} within target, "
        f"{len(report.missed)} slow"
    )
    return 1 if report.missed else 0


if __name__ == "__main__":
    sys.exit(main())
