"""The deadline status filtered on the dates agrees with the status shown, for every status."""

import datetime

import pytest

from invoicing.models import DeadlineStatus, Invoice
from tests.invoicing.factories import InvoiceFactory, PaidInvoiceFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 2)


def _invoice(received_days_ago, paid_days_after=None):
    received = TODAY - datetime.timedelta(days=received_days_ago)
    if paid_days_after is None:
        return InvoiceFactory(received_on=received)
    return PaidInvoiceFactory(
        received_on=received, paid_on=received + datetime.timedelta(days=paid_days_after)
    )


def test_each_status_filtered_on_the_dates_is_the_status_computed():
    for days_ago in (0, 20, 21, 27, 28, 29, 60):
        _invoice(days_ago)
    for paid_after in (10, 28, 29, 40):
        _invoice(50, paid_after)
    shown = dict(Invoice.objects.with_deadline(TODAY).values_list("pk", "deadline_status"))
    assert set(shown.values()) == set(DeadlineStatus.values)
    for status in DeadlineStatus.values:
        filtered = set(
            Invoice.objects.in_deadline_status(status, TODAY).values_list("pk", flat=True)
        )
        assert filtered == {pk for pk, shown_status in shown.items() if shown_status == status}


def test_the_deadline_check_looks_at_unpaid_invoices_due_within_the_week_only():
    due_in_8, due_in_7, overdue = _invoice(20), _invoice(21), _invoice(40)
    _invoice(40, 10)
    looked_at = set(Invoice.objects.to_warn(TODAY).values_list("pk", flat=True))
    assert looked_at == {due_in_7.pk, overdue.pk}
    assert due_in_8.pk not in looked_at


@pytest.mark.parametrize(
    ("received_days_ago", "warned", "looked_at"),
    [
        (21, "", True),  # due in 7 days, never warned
        (21, "due_soon", False),
        (28, "due_soon", True),  # due today
        (28, "due_today", False),
        (40, "", True),  # overdue
        (40, "due_soon", True),
        (40, "due_today", True),
        (40, "overdue", False),
    ],
)
def test_the_deadline_check_skips_invoices_warned_of_their_stage(
    received_days_ago, warned, looked_at
):
    invoice = _invoice(received_days_ago)
    Invoice.objects.filter(pk=invoice.pk).update(deadline_warning=warned)
    assert Invoice.objects.to_warn(TODAY).filter(pk=invoice.pk).exists() is looked_at


def test_the_invoices_api_filters_by_deadline_status(api, finance, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC))
    overdue, _ = _invoice(40), _invoice(0)
    found = api(finance).get("/api/v1/invoices/?deadline_status=overdue").json()
    assert [invoice["id"] for invoice in found["results"]] == [overdue.pk]
    assert found["results"][0]["deadline_status"] == "overdue"
