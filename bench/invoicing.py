"""Benchmark of the long work of invoicing: a large visits import and a large invoice.

    python -m bench.invoicing [--packages 2716] [--rows 50000] [--record-baseline]

Creates a dedicated database next to the one in DATABASE_URL, named
`<name>_bench_invoicing` (dropped and made afresh each run), with one provider caring
for `--packages` packages (two planned visits a day each, for the last two months),
then measures, in this process:

- importing a file of `--rows` delivered visits (the upload page's limit: 50,000),
  through the same service the page and the API use: rows a second, and the most
  memory it took (the rise of this process's peak resident memory);
- building that provider's invoice for the last 28 days (every visit of the period
  recorded: about 150,000 for 2,716 packages): seconds and memory.

Targets: the import at IMPORT_ROWS_PER_SECOND or more; the invoice within
INVOICE_LIMIT_SECONDS and INVOICE_LIMIT_MB.
"""

import argparse
import csv
import datetime
import io
import os
import sys
import time
from pathlib import Path

from bench.report import Figure, Report

IMPORT_ROWS_PER_SECOND = 20_000
INVOICE_LIMIT_SECONDS = 10
INVOICE_LIMIT_MB = 200
DAYS_OF_CARE = 60
TIMES = (datetime.time(8, 0), datetime.time(17, 0))


def _peak_rss_reset():
    """Start counting this process's peak resident memory afresh (Linux); the RSS now, in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def _status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def make_market(packages, today):
    """A zone, a provider with a user, and `packages` placed packages with two daily visits."""
    from decimal import Decimal

    from accounts.models import Role, User
    from core import clock
    from packages.models import Package, PackageVersion, Person, Placement, Visit
    from packages.nhs import demo_nhs_number
    from providers.models import Contract, Provider, Rate
    from zones.models import PostcodeDistrict, Zone

    start = today - datetime.timedelta(days=DAYS_OF_CARE)
    zone = Zone.objects.create(code="BENCH-I", name="Bench invoicing")
    PostcodeDistrict.objects.create(zone=zone, district="BX9")
    provider = Provider.objects.create(
        code="BIG-1",
        name="Bench big provider",
        cqc_rating="good",
        status="active",
    )
    Rate.objects.create(
        provider=provider,
        zone=None,
        hourly_rate=Decimal("24.96"),
        effective_from=start,
        created_at=clock.now(),
    )
    Contract.objects.create(zone=zone, provider=provider, role="primary", share_percent=100)
    user = User.objects.create(username="bench.big", role=Role.PROVIDER, provider=provider)
    people = Person.objects.bulk_create(
        Person(
            nhs_number=demo_nhs_number(n + 1),
            given_name="Bench",
            family_name=f"Person {n + 1}",
            date_of_birth=datetime.date(1940, 1, 1),
            address_line="1 Bench Street",
            postcode="BX9 1AA",
        )
        for n in range(packages)
    )
    now = datetime.datetime.combine(start, datetime.time(9), tzinfo=datetime.UTC)
    rows = Package.objects.bulk_create(
        Package(
            person=person,
            zone=zone,
            source="community",
            status="placed",
            provider=provider,
            start_date=start,
            weekly_hours=Decimal("10.50"),
            brokering_round=1,
            submitted_at=now,
            waiting_since=now,
            placed_at=now,
        )
        for person in people
    )
    versions = PackageVersion.objects.bulk_create(
        PackageVersion(package=package, number=1, weekly_hours=package.weekly_hours, created_at=now)
        for package in rows
    )
    Visit.objects.bulk_create(
        Visit(
            version=version,
            days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            time=at,
            duration_minutes=45,
            purpose="personal_care",
        )
        for version in versions
        for at in TIMES
    )
    Placement.objects.bulk_create(
        Placement(package=package, provider=provider, starts_on=start, placed_at=now)
        for package in rows
    )
    return user, [package.pk for package in rows]


def visits_file(package_ids, days, limit=None):
    """A CSV export of the visits on `days` of every package, as ECM sends it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["package", "date", "actual_start", "actual_end", "carers"])
    count = 0
    for day in days:
        for package_id in package_ids:
            for at in TIMES:
                if limit is not None and count >= limit:
                    return out.getvalue().encode(), count
                end = (datetime.datetime.combine(day, at) + datetime.timedelta(minutes=44)).time()
                writer.writerow([package_id, day.isoformat(), f"{at:%H:%M}", f"{end:%H:%M}", 1])
                count += 1
    return out.getvalue().encode(), count


def _import(user, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from invoicing import ecm, services

    upload = SimpleUploadedFile("visits.csv", content, content_type="text/csv")
    return services.import_visits(by=user, records=ecm.read_csv(upload))


def run(args, report):
    from bench.brokering import create_database, drop_database

    name = create_database()
    report.log(f"database {name} created and migrated")
    try:
        from core import clock
        from invoicing import services

        today = clock.today()
        user, package_ids = make_market(args.packages, today)
        first = today - datetime.timedelta(days=28)
        period = [first + datetime.timedelta(days=n) for n in range(28)]
        content, rows = visits_file(package_ids, period, limit=args.rows)
        base = _peak_rss_reset()
        started = time.perf_counter()
        imported = _import(user, content)
        seconds = time.perf_counter() - started
        memory = _status("VmHWM") - base
        report.log(
            f"imported {imported.imported:,} of {rows:,} rows in {seconds:.1f} s, {memory:.0f} MB"
        )
        report.add(
            Figure(
                "invoicing:import:rows_per_second",
                f"visits import of {rows:,} rows, rows a second",
                rows / seconds,
                "rows/s",
                IMPORT_ROWS_PER_SECOND,
                higher_is_better=True,
            )
        )
        # The rest of the period's visits, a file at a time (the page's limit), untimed.
        total = _record_rest(user, package_ids, period, skip=rows)
        report.log(f"recorded the rest of the period's {total:,} visits")
        base = _peak_rss_reset()
        started = time.perf_counter()
        invoice = services.build_invoice(
            by=user,
            period_start=first,
            period_end=today - datetime.timedelta(days=1),
            reference="BENCH-INVOICE-1",
        )
        seconds = time.perf_counter() - started
        memory = _status("VmHWM") - base
        lines = invoice.lines.count()
        report.log(f"invoice of {lines:,} lines built in {seconds:.1f} s, {memory:.0f} MB")
        report.add(
            Figure(
                "invoicing:invoice:seconds",
                f"invoice build for {args.packages:,} packages, seconds",
                seconds,
                "s",
                INVOICE_LIMIT_SECONDS,
            )
        )
        report.add(
            Figure(
                "invoicing:invoice:megabytes",
                f"invoice build for {args.packages:,} packages, memory",
                memory,
                "MB",
                INVOICE_LIMIT_MB,
            )
        )
    finally:
        drop_database(name)


def _record_rest(user, package_ids, days, skip):
    """Record the visits not in the timed file, MAX_ROWS at a time."""
    from invoicing import ecm

    lines = visits_file(package_ids, days)[0].decode().splitlines()
    header, rest = lines[0], lines[1 + skip :]
    for start in range(0, len(rest), ecm.MAX_ROWS):
        chunk = "\n".join([header, *rest[start : start + ecm.MAX_ROWS]]) + "\n"
        _import(user, chunk.encode())
    return len(lines) - 1


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.invoicing", description=__doc__)
    parser.add_argument("--packages", type=int, default=2716)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--record-baseline", action="store_true")
    args = parser.parse_args(argv)
    from bench.brokering import configure_environment

    configure_environment()
    os.environ["DATABASE_URL"] = os.environ["DATABASE_URL"].replace(
        "_bench_brokering", "_bench_invoicing"
    )
    os.environ["CELERY_BROKER_URL"] = "memory://"
    report = Report()
    run(args, report)
    if args.record_baseline:
        report.record_baseline()
    print(f"invoicing benchmark: {len(report.figures) - len(report.missed)} within target")
    return 1 if report.missed else 0


if __name__ == "__main__":
    sys.exit(main())
