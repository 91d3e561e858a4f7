"""A small market with something in every state, for the API fuzz to read and act on.

An empty database answers empty lists, whose items no response schema is then
checked against: a field answered null, an enum answered "" or a time typed
wrongly would pass unseen. So the fuzz runs against this: zones of each mode,
contracts, capacity, packages draft to cancelled (one escalated, one handed
back), offers pending, declined and accepted, a delivered visit, invoices built,
received, paid and disputed, a payment run and notifications.
"""

import datetime

from brokering.models import OfferStatus
from core import clock
from invoicing import services as invoicing
from notifications.models import NotificationKind
from notifications.services import notify
from packages.models import HandBack, PackageStatus
from tests.brokering.factories import OfferFactory, market, open_package
from tests.factories import (
    AdminFactory,
    CapacityFactory,
    FinanceFactory,
    FlexiblePlanFactory,
    PackageFactory,
    PersonFactory,
    PlacedPackageFactory,
    ProviderUserFactory,
)
from tests.invoicing.factories import InvoiceFactory, PaidInvoiceFactory
from zones.models import AllocationMode


def seed() -> dict:
    """Add the market; answers the users the fuzz acts as, by role."""
    today = clock.today()
    rota, rota_providers = market(AllocationMode.ROTA, framework=1, code="EXE", district="EX1")
    broadcast, _ = market(AllocationMode.BROADCAST, code="BRD", district="EX2")
    primary = rota_providers["primary"]
    CapacityFactory(provider=primary, zone=rota, week_start=clock.week_start(today))

    draft = PackageFactory(zone=rota, person=PersonFactory(postcode="EX1 1AA"), needs="Hoist")
    FlexiblePlanFactory(package=draft)
    pending = open_package(rota)
    OfferFactory(package=pending, provider=primary)
    OfferFactory(
        package=pending,
        provider=rota_providers["secondary"],
        status=OfferStatus.DECLINED,
        answered_at=clock.now(),
        decline_reason="no_capacity",
    )
    open_package(broadcast, escalated=True, escalated_at=clock.now())
    placed = PlacedPackageFactory(
        zone=rota,
        provider=primary,
        person=PersonFactory(postcode="EX1 2AB"),
        start_date=today - datetime.timedelta(days=7),
    )
    OfferFactory(
        package=placed, provider=primary, status=OfferStatus.ACCEPTED, answered_at=clock.now()
    )
    handed_back = open_package(rota, brokering_round=2)
    HandBack.objects.create(
        package=handed_back, provider=primary, reason="Lost carers", at=clock.now()
    )
    PlacedPackageFactory(zone=rota, provider=primary, status=PackageStatus.ENDED, ended_on=today)
    PackageFactory(zone=broadcast, status=PackageStatus.CANCELLED, cancel_reason="Moved away")

    users = {
        "admin": AdminFactory(username="fuzz-admin"),
        "provider": ProviderUserFactory(username="fuzz-provider", provider=primary),
    }
    finance = FinanceFactory(username="fuzz-finance")
    yesterday = today - datetime.timedelta(days=1)
    invoicing.record_visit(
        by=users["provider"],
        record={
            "package": placed.pk,
            "date": yesterday.isoformat(),
            "actual_start": "08:00",
            "actual_end": "08:40",
            "carers": 1,
        },
    )
    built = invoicing.build_invoice(
        by=users["provider"],
        period_start=placed.start_date,
        period_end=yesterday,
        reference="FUZZ-1",
    )
    invoicing.dispute_invoice(invoice_id=built.pk, by=finance, reason="Check 3 March")
    approved = InvoiceFactory(provider=primary, received_on=yesterday)
    invoicing.approve_invoice(invoice_id=approved.pk, by=finance)
    invoicing.run_payments(by=finance, invoice_ids=[approved.pk], paid_on=today, reference="RUN-1")
    InvoiceFactory(provider=primary)
    PaidInvoiceFactory(provider=primary, received_on=today - datetime.timedelta(days=40))
    for user in users.values():
        notify(
            kind=NotificationKind.ESCALATED,
            users=[user],
            message="Package needs a broker",
            link=f"/packages/{pending.pk}/",
            event=f"fuzz:{user.pk}",
            package_id=pending.pk,
        )
    return users
