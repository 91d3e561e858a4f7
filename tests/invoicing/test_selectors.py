"""Reads the dashboard shares: spend by zone and on-time payment rates."""

import datetime
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from django.db import connection

from invoicing import selectors, services
from invoicing.models import Invoice
from tests.factories import PlacedPackageFactory, ProviderFactory, ZoneFactory
from tests.invoicing.conftest import MARCH_1, TODAY
from tests.invoicing.factories import InvoiceFactory, PaidInvoiceFactory, record

pytestmark = pytest.mark.django_db


def test_spend_by_zone_counts_commissioned_delivered_and_payable(provider_user, package):
    empty = ZoneFactory(code="EMPTY")
    record(provider_user, package, MARCH_1, "08:00", "08:45")  # 45 payable
    record(provider_user, package, datetime.date(2025, 3, 3), "08:00", "08:20")  # 20 payable
    record(provider_user, package, datetime.date(2025, 3, 4), "08:00", "08:00")  # missed
    rows = {
        row["zone"]: row
        for row in selectors.spend_by_zone(start=MARCH_1, end=datetime.date(2025, 3, 7))
    }
    zone = rows[package.zone.code]
    # Commissioned: 5.25 hours a week for the 7 days at 24.96.
    assert zone["commissioned_hours"] == Decimal("5.25")
    assert zone["commissioned_pounds"] == Decimal("131.04")
    assert zone["delivered_hours"] == Decimal("1.08")  # 65 minutes
    assert zone["delivered_pounds"] == Decimal("27.04")
    assert zone["payable_hours"] == Decimal("1.08")
    assert zone["payable_pounds"] == Decimal("27.04")
    assert rows[empty.code]["payable_pounds"] == Decimal("0.00")


def test_spend_uses_invoiced_rates_and_the_cap_once_invoiced(provider_user, package):
    provider = package.provider
    provider.weekend_uplift_percent = Decimal("20")
    provider.save()
    record(provider_user, package, MARCH_1, "08:00", "08:45")  # a Saturday
    services.build_invoice(
        by=provider_user, period_start=MARCH_1, period_end=MARCH_1, reference="S"
    )
    (row,) = [
        row
        for row in selectors.spend_by_zone(start=MARCH_1, end=MARCH_1)
        if row["zone"] == package.zone.code
    ]
    assert row["payable_pounds"] == Decimal("22.46")  # 0.75 h at 29.952
    assert row["delivered_pounds"] == Decimal("18.72")  # at the base rate


def test_on_time_payment_rate_over_twelve_months(now):
    alpha, beta = ProviderFactory(name="Alpha"), ProviderFactory(name="Beta")
    received = TODAY - datetime.timedelta(days=100)
    PaidInvoiceFactory(
        provider=alpha, received_on=received, paid_on=received + datetime.timedelta(days=28)
    )
    PaidInvoiceFactory(
        provider=alpha, received_on=received, paid_on=received + datetime.timedelta(days=29)
    )
    InvoiceFactory(provider=alpha, received_on=TODAY - datetime.timedelta(days=40))  # overdue
    InvoiceFactory(provider=alpha)  # not yet due: not counted
    old = TODAY - datetime.timedelta(days=500)
    PaidInvoiceFactory(provider=beta, received_on=old, paid_on=old + datetime.timedelta(days=40))
    PaidInvoiceFactory(
        provider=beta, received_on=received, paid_on=received + datetime.timedelta(days=3)
    )
    rates = {row["name"]: row for row in selectors.on_time_payment_rates()}
    assert rates["Alpha"] == {
        "provider": alpha.code,
        "name": "Alpha",
        "invoices": 3,
        "on_time": 1,
        "paid_late": 1,
        "overdue": 1,
        "percent": Decimal("33.3"),
    }
    assert (rates["Beta"]["invoices"], rates["Beta"]["percent"]) == (1, Decimal("100.0"))


def test_a_year_before_a_leap_day():
    assert selectors.a_year_before(datetime.date(2024, 2, 29)) == datetime.date(2023, 2, 28)


def test_planned_against_delivered_by_week(now, provider_user, provider_org):
    package = PlacedPackageFactory(provider=provider_org, start_date=datetime.date(2025, 3, 3))
    for day in (3, 4, 5, 6, 7):  # Monday to Friday delivered; weekend missed
        record(provider_user, package, datetime.date(2025, 3, day), "08:00", "08:45")
    record(provider_user, package, datetime.date(2025, 3, 10), "08:40", "09:05")
    weeks = selectors.planned_against_delivered(package)
    assert [week["week_start"] for week in weeks] == [
        datetime.date(2025, 3, 3),
        datetime.date(2025, 3, 10),
    ]
    first, second = weeks
    assert (first["planned_visits"], first["delivered_visits"], first["missed"]) == (7, 5, 2)
    assert first["planned_hours"] == Decimal("5.25")
    assert first["delivered_hours"] == Decimal("3.75")
    # Second week so far (to Wednesday 12th): 10th late and short, 11th missed, 12th not yet.
    assert (second["planned_visits"], second["missed"], second["late"], second["short"]) == (
        3,
        1,
        1,
        1,
    )
    # Planned hours to date like the planned visits (3 x 45 minutes), not the whole week.
    assert second["planned_hours"] == Decimal("2.25")


def test_the_board_totals_put_overdue_first(now):
    InvoiceFactory(received_on=TODAY - datetime.timedelta(days=35))
    summary = selectors.payment_board()["summary"]
    assert [row["status"] for row in summary] == ["overdue", "due_soon", "ok"]
    assert [row["count"] for row in summary] == [1, 0, 0]


def test_the_board_totals_are_those_of_each_invoices_deadline_status(now):
    """Counted from the dates and amounts held alone: an unpaid invoice held whole is ok
    however late, one held in part keeps its deadline; a paid one is not on the board."""

    def unpaid(days_ago, total, held="0.00"):
        received = TODAY - datetime.timedelta(days=days_ago)
        InvoiceFactory(received_on=received, total=Decimal(total), held_total=Decimal(held))

    unpaid(40, "100.10")
    unpaid(35, "50.00", held="20.00")
    unpaid(35, "70.00", held="70.00")
    unpaid(28, "1.01")  # due today
    unpaid(21, "2.02")  # due in seven days
    unpaid(20, "3.03")
    unpaid(0, "4.04")
    PaidInvoiceFactory(received_on=TODAY - datetime.timedelta(days=40))
    expected = {}
    for invoice in selectors.with_deadlines(Invoice.objects.unpaid()):
        count, amount = expected.get(invoice.deadline_status, (0, Decimal("0.00")))
        expected[invoice.deadline_status] = (count + 1, amount + invoice.total)
    summary = selectors.payment_board()["summary"]
    assert {row["status"]: (row["count"], row["amount"]) for row in summary} == expected
    assert expected == {
        "overdue": (2, Decimal("150.10")),
        "due_soon": (2, Decimal("3.03")),
        "ok": (3, Decimal("77.07")),
    }


def test_the_on_time_rates_of_a_page_of_providers_keep_its_order_with_zeros(now):
    alpha, beta, gamma = (ProviderFactory(name=name) for name in ("Alpha", "Beta", "Gamma"))
    PaidInvoiceFactory(provider=beta, received_on=TODAY - datetime.timedelta(days=60))
    InvoiceFactory(provider=gamma, received_on=TODAY - datetime.timedelta(days=40))
    everyone = {row["provider"]: row for row in selectors.on_time_payment_rates()}
    rates = selectors.on_time_payment_rates_of([gamma, alpha, beta])
    assert [row["provider"] for row in rates] == [gamma.code, alpha.code, beta.code]
    assert rates[0] == everyone[gamma.code] and rates[2] == everyone[beta.code]
    assert rates[1] == {
        "provider": alpha.code,
        "name": "Alpha",
        "invoices": 0,
        "on_time": 0,
        "paid_late": 0,
        "overdue": 0,
        "percent": None,
    }
    assert [provider.name for provider in selectors.providers_by_name()][:3] == [
        "Alpha",
        "Beta",
        "Gamma",
    ]


@pytest.mark.parametrize("divisor", [7, 60, 700, 6000])
def test_spend_rounds_to_hundredths_in_the_database_as_decimal_does(divisor):
    """Spend's figures are rounded by the database (to whole pence, or hundredths of an
    hour): exactly as Decimal's quantize rounds them (half to even, ties included, e.g.
    30 minutes at £25.01 is £12.505: £12.50)."""
    wholes = [0, 1, 3, 30, 31, 89, 90, 91, 350, 750300, 123456789, -1, -30, -90, -750300]
    wholes += [divisor * n + divisor // 2 for n in range(4)]  # exact ties for even divisors
    wholes += [-whole for whole in wholes[-4:]]
    with connection.cursor() as cursor:
        for whole in wholes:
            # (a parameter, for the SQL's %% to read as the one % it is in the app)
            cursor.execute(f"SELECT {selectors._pence(str(whole), divisor)} WHERE %s", [True])
            (rounded,) = cursor.fetchone()
            expected = (Decimal(whole) / divisor).quantize(Decimal(1), ROUND_HALF_EVEN)
            assert (whole, rounded) == (whole, int(expected))
