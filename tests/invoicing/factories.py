"""Invoicing factories: invoices in each state, and recording visits through the service."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from invoicing import services
from invoicing.models import PAYMENT_TERM_DAYS, Invoice, InvoiceStatus
from tests.factories import ProviderFactory


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A received invoice with no lines: enough for deadlines, boards and permissions."""

    class Meta:
        model = Invoice

    provider = factory.SubFactory(ProviderFactory)
    reference = factory.Sequence(lambda n: f"INV-{n:05d}")
    received_on = factory.LazyFunction(timezone.localdate)
    period_end = factory.LazyAttribute(lambda o: o.received_on - datetime.timedelta(days=1))
    period_start = factory.LazyAttribute(lambda o: o.period_end - datetime.timedelta(days=27))
    due_by = factory.LazyAttribute(
        lambda o: o.received_on + datetime.timedelta(days=PAYMENT_TERM_DAYS)
    )
    status = InvoiceStatus.RECEIVED
    total = Decimal("100.00")
    created_at = factory.LazyFunction(timezone.now)


class ApprovedInvoiceFactory(InvoiceFactory):
    status = InvoiceStatus.APPROVED


class PaidInvoiceFactory(InvoiceFactory):
    status = InvoiceStatus.PAID
    paid_on = factory.LazyAttribute(lambda o: o.received_on + datetime.timedelta(days=10))
    payment_reference = factory.Sequence(lambda n: f"PAY-{n:05d}")


def record(by, package, day, start, end, carers=1):
    """Record one delivered visit as the provider's ECM would."""
    return services.record_visit(
        by=by,
        record={
            "package": package.pk,
            "date": day.isoformat(),
            "actual_start": start,
            "actual_end": end,
            "carers": carers,
        },
    )
