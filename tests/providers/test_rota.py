import datetime

import pytest

from providers.selectors import contracts_in_order, rota_period
from tests.factories import ContractFactory, ProviderFactory, ZoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bury():
    zone = ZoneFactory(
        code="BURY-1",
        allocation_mode="rota",
        rotation_weeks=2,
        rota_started_on=datetime.date(2024, 1, 1),
    )
    ContractFactory(zone=zone, provider=ProviderFactory(code="FRAME"), role="framework")
    ContractFactory(
        zone=zone, provider=ProviderFactory(code="B"), role="secondary", share_percent=20
    )
    ContractFactory(zone=zone, provider=ProviderFactory(code="A"), role="primary", share_percent=80)
    return zone


def period(zone, on):
    return rota_period(zone, list(contracts_in_order(zone.contracts.all())), on)


def test_contracts_come_primary_secondary_then_framework(bury):
    assert [c.provider.code for c in contracts_in_order(bury.contracts.all())] == [
        "A",
        "B",
        "FRAME",
    ]


@pytest.mark.parametrize(
    ("on", "lead", "starts", "ends"),
    [
        # Periods are counted from the rota's first day, 1 January 2024, two weeks each.
        (datetime.date(2024, 1, 1), "A", datetime.date(2024, 1, 1), datetime.date(2024, 1, 14)),
        (datetime.date(2024, 1, 14), "A", datetime.date(2024, 1, 1), datetime.date(2024, 1, 14)),
        (datetime.date(2024, 1, 15), "B", datetime.date(2024, 1, 15), datetime.date(2024, 1, 28)),
        (datetime.date(2024, 1, 29), "A", datetime.date(2024, 1, 29), datetime.date(2024, 2, 11)),
    ],
)
def test_the_primary_and_secondary_swap_each_period(bury, on, lead, starts, ends):
    now = period(bury, on)
    assert (now.lead.provider.code, now.starts, now.ends) == (lead, starts, ends)
    # The acting primary always gets the primary's share.
    assert (now.lead_share, now.other_share) == (80, 20)


def test_a_rota_not_started_yet_opens_with_its_primary_leading_from_its_first_offer(bury):
    # Whatever the date, brokering starts period 0 on the day of the first offer.
    bury.rota_started_on = None
    now = period(bury, datetime.date(2026, 12, 14))
    assert (now.lead.provider.code, now.started, now.swapped) == ("A", False, False)
    assert (now.starts, now.ends) == (datetime.date(2026, 12, 14), datetime.date(2026, 12, 27))


def test_no_rota_period_outside_a_rota_or_without_both_roles(bury):
    cascade = ZoneFactory(allocation_mode="cascade")
    ContractFactory(zone=cascade, role="primary")
    ContractFactory(zone=cascade, role="secondary")
    assert period(cascade, datetime.date(2024, 1, 1)) is None
    half = ZoneFactory(allocation_mode="rota")
    ContractFactory(zone=half, role="primary", share_percent=80)
    assert period(half, datetime.date(2024, 1, 1)) is None
