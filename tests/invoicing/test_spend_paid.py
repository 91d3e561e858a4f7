"""Spend's paid column: a paid invoice's visits count as paid in their zone and day, kept
by the payment in its transaction and by a rebuild; the page writes pounds as £1,234.56."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps

from invoicing import rollup, selectors, services
from invoicing.models import GuaranteeWeek, LineKind
from tests.factories import ContractFactory, PlacedPackageFactory
from tests.invoicing.conftest import MARCH_1
from tests.invoicing.factories import record

pytestmark = pytest.mark.django_db


def paid_and_payable(zone):
    [row] = [
        r
        for r in selectors.spend_by_zone(start=MARCH_1, end=datetime.date(2025, 3, 11))
        if r["zone"] == zone.code
    ]
    return row["paid_pounds"], row["payable_pounds"]


def test_paying_an_invoice_counts_its_visits_as_paid(now, provider_user, finance, package):
    for day in range(1, 5):
        record(provider_user, package, datetime.date(2025, 3, day), "08:00", "08:45")
    invoice = services.build_invoice(
        by=provider_user, period_start=MARCH_1, period_end=datetime.date(2025, 3, 4), reference="P"
    )
    assert paid_and_payable(package.zone) == (Decimal("0.00"), Decimal("74.88"))
    services.approve_invoice(invoice_id=invoice.pk, by=finance)
    services.pay_invoice(
        invoice_id=invoice.pk, by=finance, paid_on=now.date(), payment_reference="BACS-1"
    )
    assert paid_and_payable(package.zone) == (Decimal("74.88"), Decimal("74.88"))
    rollup.rebuild()
    assert paid_and_payable(package.zone) == (Decimal("74.88"), Decimal("74.88"))


def pay(invoice, finance, reference):
    services.pay_invoice(
        invoice_id=invoice.pk,
        by=finance,
        paid_on=datetime.date(2025, 3, 12),
        payment_reference=reference,
    )


def test_what_is_paid_while_a_line_is_held_counts_and_the_line_once_paid(
    now, provider_user, finance, package
):
    """Two packages, each 4 x 45 minutes at 24.96 = 74.88: the second's line held, the
    first's paid counts at once; the second's when its line is paid; a rebuild agrees."""
    second = PlacedPackageFactory(
        provider=provider_user.provider, zone=package.zone, start_date=MARCH_1
    )
    for day in range(1, 5):
        record(provider_user, package, datetime.date(2025, 3, day), "08:00", "08:45")
        record(provider_user, second, datetime.date(2025, 3, day), "08:00", "08:45")
    invoice = services.build_invoice(
        by=provider_user, period_start=MARCH_1, period_end=datetime.date(2025, 3, 4), reference="P"
    )
    held = invoice.lines.get(package=second)
    services.dispute_line(invoice_id=invoice.pk, line_id=held.pk, by=finance, reason="x")
    services.approve_invoice(invoice_id=invoice.pk, by=finance)
    pay(invoice, finance, "BACS-1")
    assert paid_and_payable(package.zone) == (Decimal("74.88"), Decimal("149.76"))
    rollup.rebuild()
    assert paid_and_payable(package.zone) == (Decimal("74.88"), Decimal("149.76"))

    services.release_line(invoice_id=invoice.pk, line_id=held.pk, by=finance)
    pay(invoice, finance, "BACS-2")
    assert paid_and_payable(package.zone) == (Decimal("149.76"), Decimal("149.76"))
    rollup.rebuild()
    assert paid_and_payable(package.zone) == (Decimal("149.76"), Decimal("149.76"))


def test_a_guarantee_line_is_payable_and_then_paid_in_its_weeks_zone(
    now, provider_user, finance, package
):
    """10 hours a week guaranteed, the week of 3 March paid 5.25 hours: the 4.75 hours
    short (118.56) are payable in the zone besides the visits (11 x 45 minutes = 205.92),
    and paid with the invoice."""
    ContractFactory(zone=package.zone, provider=package.provider, guaranteed_hours=Decimal("10"))
    for day in range(1, 12):
        record(provider_user, package, datetime.date(2025, 3, day), "08:00", "08:45")
    invoice = services.build_invoice(
        by=provider_user, period_start=MARCH_1, period_end=datetime.date(2025, 3, 11), reference="G"
    )
    line = invoice.lines.get(kind=LineKind.GUARANTEE)
    (week,) = GuaranteeWeek.objects.filter(line=line)
    assert (week.week_start, week.payable_minutes) == (datetime.date(2025, 3, 3), 285)
    assert paid_and_payable(package.zone) == (Decimal("0.00"), Decimal("324.48"))
    [row] = [
        r
        for r in selectors.spend_by_zone(start=MARCH_1, end=datetime.date(2025, 3, 11))
        if r["zone"] == package.zone.code
    ]
    assert row["payable_hours"] == Decimal("8.25") + Decimal("4.75")
    services.approve_invoice(invoice_id=invoice.pk, by=finance)
    pay(invoice, finance, "BACS-1")
    assert paid_and_payable(package.zone) == (Decimal("324.48"), Decimal("324.48"))
    # The period's totals add the guaranteed hours as its zone's row does, and a page of
    # rows that leaves the zone out still counts it.
    [period] = selectors.spend_per_period([(MARCH_1, datetime.date(2025, 3, 11))])
    [paged] = selectors.spend_per_period([(MARCH_1, datetime.date(2025, 3, 11))], shown=slice(0, 0))
    assert paged["zones"] == []
    for name in ("payable_hours", "payable_pounds", "paid_pounds"):
        assert period["total"][name] == sum(zone[name] for zone in period["zones"])
        assert paged["total"][name] == period["total"][name]
    assert period["total"]["payable_hours"] == Decimal("13.00")
    assert period["total"]["paid_pounds"] == Decimal("324.48")
    # The week counts on its Monday: spend from the 10th leaves it out (2 x 45 minutes).
    [later] = [
        r
        for r in selectors.spend_by_zone(
            start=datetime.date(2025, 3, 10), end=datetime.date(2025, 3, 11)
        )
        if r["zone"] == package.zone.code
    ]
    assert (later["payable_pounds"], later["paid_pounds"]) == (Decimal("37.44"), Decimal("37.44"))


def test_the_spend_page_shows_pounds_and_guaranteed_hours(now, page, commissioner, package):
    """20 hours a week guaranteed, 5.25 placed: 14.75 not yet filled. Commissioned from
    1 to 11 March: 11 x 0.75 hours at 24.96 = £205.92, written as pounds; the CSV keeps
    the plain decimal."""
    ContractFactory(zone=package.zone, provider=package.provider, guaranteed_hours=Decimal("20"))
    client = page(commissioner)
    body = client.get("/dashboard/spend/?since=2025-03-01&until=2025-03-11").content.decode()
    assert "£ paid" in body
    assert "£205.92" in body
    assert "Guaranteed hours against hours used" in body and "14.75" in body
    csv = client.get("/dashboard/spend/?since=2025-03-01&until=2025-03-11&format=csv&table=periods")
    content = b"".join(csv) if csv.streaming else csv.content
    assert b",205.92," in content and "£205".encode() not in content


def test_the_migration_gives_an_earlier_guarantee_line_its_first_whole_week(
    now, provider_user, package
):
    """Lines saved before their weeks were kept: the whole line on the period's first
    whole week (1 March is a Saturday: Monday the 3rd)."""
    migration = importlib.import_module("invoicing.migrations.0011_guarantee_weeks")
    ContractFactory(zone=package.zone, provider=package.provider, guaranteed_hours=Decimal("10"))
    for day in range(1, 12):
        record(provider_user, package, datetime.date(2025, 3, day), "08:00", "08:45")
    invoice = services.build_invoice(
        by=provider_user, period_start=MARCH_1, period_end=datetime.date(2025, 3, 11), reference="G"
    )
    GuaranteeWeek.objects.all().delete()
    migration.guarantee_weeks_of_earlier_lines(django_apps, None)
    (week,) = GuaranteeWeek.objects.all()
    line = invoice.lines.get(kind=LineKind.GUARANTEE)
    assert (week.line, week.zone, week.week_start) == (
        line,
        package.zone,
        datetime.date(2025, 3, 3),
    )
    assert (week.payable_minutes, week.payable_minute_pounds) == (285, line.amount * 60)
