"""Benchmark of the invoice deadline check at county and national scale.

    python -m bench.deadlines [--scale county|national] [--repeat 20] [--record-baseline]

Uses the dashboard benchmark's databases (bench.generate). The check runs every hour;
it is timed with nothing new to send (its first run here sends what is due), p50 of
`--repeat` runs. Its cost must follow the unpaid invoices due within the week or
overdue, not every invoice ever received: target p50 under DEADLINE_LIMIT_MS at either
scale (nationally, 669,000 invoices of which a few thousand unpaid).
"""

import argparse
import os
import statistics
import sys
import time

from bench.report import Figure, Report

DEADLINE_LIMIT_MS = 25


def bench_scale(scale_name, repeat, report):
    from accounts.models import Role, User
    from bench.dashboard import use_bench_database
    from invoicing.models import Invoice
    from invoicing.services.deadlines import check_invoice_deadlines

    use_bench_database(scale_name, log=report.log)
    User.objects.get_or_create(username="bench.finance", defaults={"role": Role.FINANCE})
    sent = check_invoice_deadlines()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        check_invoice_deadlines()
        samples.append((time.perf_counter() - started) * 1000)
    unpaid = Invoice.objects.filter(paid_on__isnull=True).count()
    report.log(
        f"{scale_name}: {Invoice.objects.count():,} invoices, {unpaid:,} unpaid; "
        f"the first check sent {sent} warnings"
    )
    report.add(
        Figure(
            f"deadlines:{scale_name}:check",
            f"{scale_name} deadline check, nothing new to send",
            statistics.median(samples),
            "ms",
            DEADLINE_LIMIT_MS,
        )
    )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.deadlines", description=__doc__)
    parser.add_argument("--scale", choices=["county", "national"], action="append")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--record-baseline", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Warnings email finance after commit, by task: not measured, and not left queued.
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["EMAIL_URL"] = "dummymail://"
    from bench.dashboard import _setup_django

    _setup_django()
    report = Report()
    for scale_name in args.scale or ["county", "national"]:
        bench_scale(scale_name, args.repeat, report)
    if args.record_baseline:
        report.record_baseline()
    print(f"deadline benchmark: {len(report.figures) - len(report.missed)} within target")
    return 1 if report.missed else 0


if __name__ == "__main__":
    sys.exit(main())
