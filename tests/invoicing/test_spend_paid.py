"""Spend's paid column: a paid invoice's visits count as paid in their zone and day, kept
by the payment in its transaction and by a rebuild; the page writes pounds as £1,234.56."""

import datetime
from decimal import Decimal

import pytest

from invoicing import rollup, selectors, services
from tests.factories import ContractFactory
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
