"""Guaranteed hours on invoices: a week whose payable hours in the contract's zone fell
short of its guaranteed hours is paid the shortfall on a `guarantee` line."""

import datetime
from decimal import Decimal

import pytest

from invoicing import guarantee, services
from invoicing.models import LineKind
from tests.factories import ContractFactory
from tests.invoicing.conftest import MARCH_1
from tests.invoicing.factories import record

pytestmark = pytest.mark.django_db
MONDAY_3 = datetime.date(2025, 3, 3)


def march(day):
    return datetime.date(2025, 3, day)


def deliver(user, package, days, end="08:45"):
    for day in days:
        record(user, package, march(day), "08:00", end)


def build(user, first, last, reference):
    return services.build_invoice(by=user, period_start=first, period_end=last, reference=reference)


def test_whole_weeks_are_those_from_monday_to_sunday_inside_the_period():
    assert guarantee.whole_weeks(MARCH_1, march(11)) == [MONDAY_3]
    assert guarantee.whole_weeks(MONDAY_3, march(16)) == [MONDAY_3, march(10)]
    assert guarantee.whole_weeks(march(4), march(16)) == [march(10)]
    assert guarantee.whole_weeks(march(4), march(9)) == []


def test_a_short_week_carries_a_guarantee_line_for_the_shortfall(now, provider_user, package):
    """10 hours a week guaranteed in the zone; the week of 3 March paid 7 x 45 minutes
    (5.25 hours): 4.75 hours short, at 24.96 = 118.56."""
    contract = ContractFactory(
        zone=package.zone, provider=package.provider, guaranteed_hours=Decimal("10")
    )
    deliver(provider_user, package, range(1, 12))

    invoice = build(provider_user, MARCH_1, march(11), "G-1")

    line = invoice.lines.get(kind=LineKind.GUARANTEE)
    assert (line.contract, line.package) == (contract, None)
    assert (line.commissioned_hours, line.delivered_hours, line.payable_hours) == (
        Decimal("10.00"),
        Decimal("5.25"),
        Decimal("4.75"),
    )
    assert line.amount == Decimal("118.56")
    care = invoice.lines.get(kind=LineKind.CARE)
    assert invoice.total == care.amount + line.amount


def test_a_week_that_meets_its_guarantee_has_no_line(now, provider_user, package):
    ContractFactory(zone=package.zone, provider=package.provider, guaranteed_hours=Decimal("5"))
    deliver(provider_user, package, range(1, 12))
    invoice = build(provider_user, MARCH_1, march(11), "G-1")
    assert not invoice.lines.filter(kind=LineKind.GUARANTEE).exists()


def test_a_week_is_guaranteed_once_and_only_when_the_contract_is_in_force(
    now, provider_user, package
):
    contract = ContractFactory(
        zone=package.zone, provider=package.provider, guaranteed_hours=Decimal("10")
    )
    deliver(provider_user, package, range(3, 10))
    build(provider_user, MONDAY_3, march(9), "G-1")
    # A late visit for the same week, on a second invoice: the week was guaranteed already.
    record(provider_user, package, march(9), "18:00", "18:45")
    second = build(provider_user, MONDAY_3, march(9), "G-2")
    assert not second.lines.filter(kind=LineKind.GUARANTEE).exists()
    contract.starts_on = march(4)
    contract.save()
    assert guarantee.guarantee_lines(package.provider, [], None, MONDAY_3, march(9)) == []


def test_the_api_shows_the_guarantee_line(now, api, provider_user, package):
    ContractFactory(zone=package.zone, provider=package.provider, guaranteed_hours=Decimal("10"))
    deliver(provider_user, package, range(3, 10))
    invoice = build(provider_user, MONDAY_3, march(9), "G-1")
    body = api(provider_user).get(f"/api/v1/invoices/{invoice.pk}/").json()
    kinds = {line["kind"]: line for line in body["lines"]}
    assert set(kinds) == {"care", "guarantee"}
    assert kinds["guarantee"]["zone"] == package.zone.code
    assert kinds["guarantee"]["payable_hours"] == "4.75"
    assert kinds["guarantee"]["package"] is None


def test_the_api_writes_each_line_as_drf_would_from_its_fields(now, provider_user, package):
    """The line serializer's hand-written representation: the fields DRF's own walk of them
    gives, value for value, for a guarantee line and a held one too."""
    from rest_framework import serializers

    from invoicing.api import LINES_WITH_ZONES, InvoiceLineSerializer

    ContractFactory(zone=package.zone, provider=package.provider, guaranteed_hours=Decimal("10"))
    deliver(provider_user, package, range(3, 10))
    invoice = build(provider_user, MONDAY_3, march(9), "G-1")
    invoice.lines.filter(kind=LineKind.CARE).update(held_at=now, hold_reason="Check visits")
    lines = list(LINES_WITH_ZONES.filter(invoice=invoice))
    assert {line.kind for line in lines} == {LineKind.CARE, LineKind.GUARANTEE}
    for line in lines:
        written = InvoiceLineSerializer(line).data
        walked = serializers.ModelSerializer.to_representation(InvoiceLineSerializer(), line)
        assert written == walked
        assert list(written) == InvoiceLineSerializer.Meta.fields
