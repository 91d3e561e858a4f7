"""Guaranteed hours on invoices (Devon's Guaranteed Hours programme): a commissioner
guarantees a provider hours a week in a zone; for each whole week (Monday to Sunday) an
invoice's period covers, a contract whose payable hours in its zone fell short of its
guaranteed hours that week is paid the shortfall, at its base rate in force on the
week's Monday, on a `guarantee` line of its own (one per contract and invoice).

A week counts when the contract is in force on its Monday and no earlier invoice of the
provider already carries that contract's guarantee for it. Payable hours in the zone are
those of the visits on this invoice and of the visits already invoiced for that week.
"""

import datetime
from collections import defaultdict

from django.db.models import Q, Sum

from providers.models import Contract

from . import pay
from .models import DeliveredVisit, GuaranteeWeek, InvoiceLine, LineKind

WEEK = datetime.timedelta(days=7)


def whole_weeks(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The Mondays of the weeks that lie wholly within `first`..`last`."""
    monday = first + datetime.timedelta(days=(7 - first.weekday()) % 7)
    weeks = []
    while monday + datetime.timedelta(days=6) <= last:
        weeks.append(monday)
        monday += WEEK
    return weeks


def guarantee_lines(provider, visits, book, period_start, period_end) -> list[InvoiceLine]:
    """The `guarantee` lines of an invoice of `provider` for the period, given the `visits`
    it pays (priced: `paid_minutes` set)."""
    weeks = whole_weeks(period_start, period_end)
    if not weeks:
        return []
    contracts = list(
        Contract.objects.filter(provider=provider, guaranteed_hours__gt=0)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=weeks[0]))
        .filter(starts_on__lte=weeks[-1])
        .order_by("zone_id")
    )
    if not contracts:
        return []
    paid = _payable_minutes(provider, visits, weeks)
    covered = _weeks_already_guaranteed(contracts, weeks)
    lines = []
    for contract in contracts:
        shortfalls = [
            (
                monday,
                max(
                    0, pay.cap_minutes(contract.guaranteed_hours) - paid[(contract.zone_id, monday)]
                ),
            )
            for monday in weeks
            if contract.in_force_on(monday) and (contract.pk, monday) not in covered
        ]
        if any(minutes for _, minutes in shortfalls):
            lines.append(_guarantee_line(contract, shortfalls, paid, book, period_end))
    return lines


def _guarantee_line(contract, shortfalls, paid, book, period_end) -> InvoiceLine:
    """The line paying a contract's (Monday, minutes short) weeks, each at the base rate on
    its Monday, with the weeks short (`guarantee_weeks`, saved with it)."""
    provider_id, zone_id = contract.provider_id, contract.zone_id
    short = [
        (monday, minutes, book.rate_on(provider_id, zone_id, monday))
        for monday, minutes in shortfalls
        if minutes
    ]
    line = InvoiceLine(
        kind=LineKind.GUARANTEE,
        contract=contract,
        commissioned_hours=contract.guaranteed_hours * len(shortfalls),
        delivered_hours=pay.hours(sum(paid[(zone_id, monday)] for monday, _ in shortfalls)),
        payable_hours=pay.hours(sum(minutes for _, minutes, _ in short)),
        rate=book.rate_on(provider_id, zone_id, period_end),
        amount=pay.amount((minutes, rate) for _, minutes, rate in short),
    )
    line.guarantee_weeks = [
        GuaranteeWeek(
            zone_id=zone_id,
            week_start=monday,
            payable_minutes=minutes,
            payable_minute_pounds=minutes * rate,
        )
        for monday, minutes, rate in short
    ]
    return line


def save_guarantee_weeks(lines) -> None:
    """Save the weeks of the guarantee lines just saved, for spend to read."""
    weeks = []
    for line in lines:
        for week in getattr(line, "guarantee_weeks", ()):
            week.line = line
            weeks.append(week)
    GuaranteeWeek.objects.bulk_create(weeks)


def _monday(day):
    return day - datetime.timedelta(days=day.weekday())


def _payable_minutes(provider, visits, weeks):
    """{(zone id, Monday): payable minutes} of `visits` and of the provider's visits on
    earlier invoices in those weeks."""
    paid = defaultdict(int)
    first, last = weeks[0], weeks[-1] + datetime.timedelta(days=6)
    for visit in visits:
        if first <= visit.date <= last:
            paid[(visit.zone_id, _monday(visit.date))] += visit.paid_minutes
    earlier = (
        DeliveredVisit.objects.filter(
            provider=provider, date__range=(first, last), invoice_line__isnull=False
        )
        .values_list("zone_id", "date")
        .annotate(minutes=Sum("paid_minutes"))
        .order_by()
    )
    for zone_id, day, minutes in earlier:
        paid[(zone_id, _monday(day))] += minutes or 0
    return paid


def _weeks_already_guaranteed(contracts, weeks):
    """{(contract id, Monday)} already paid on an earlier invoice's guarantee line."""
    earlier = InvoiceLine.objects.filter(
        kind=LineKind.GUARANTEE,
        contract__in=contracts,
        invoice__period_start__lte=weeks[-1] + datetime.timedelta(days=6),
        invoice__period_end__gte=weeks[0],
    ).values_list("contract_id", "invoice__period_start", "invoice__period_end")
    covered = set()
    for contract_id, start, end in earlier:
        covered.update((contract_id, monday) for monday in whole_weeks(start, end))
    return covered
