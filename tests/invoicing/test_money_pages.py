"""The money pages: the preview, withdrawing, holding and releasing lines, credit notes,
remittance advice, the supplier reference and the board's red tags."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import services
from invoicing.models import CreditNote, Invoice, InvoiceStatus
from tests.factories import PlacedPackageFactory
from tests.invoicing.conftest import MARCH_1, TODAY
from tests.invoicing.factories import InvoiceFactory, record

pytestmark = pytest.mark.django_db
FIELDS = {"reference": "A-9", "period_start": "2025-03-01", "period_end": "2025-03-11"}


def march(day):
    return datetime.date(2025, 3, day)


def deliver(user, package, days):
    for day in days:
        record(user, package, march(day), "08:00", "08:45")


@pytest.fixture
def invoice(provider_user, package):
    """Two lines: `package` (11 visits, 205.92) and a second package (2 visits, 37.44)."""
    second = PlacedPackageFactory(provider=provider_user.provider, start_date=march(10))
    deliver(provider_user, package, range(1, 12))
    deliver(provider_user, second, (10, 11))
    return services.build_invoice(
        by=provider_user, period_start=MARCH_1, period_end=march(11), reference="A-1"
    )


def text(response):
    return response.content.decode()


def words(response):
    """The page's text as a reader meets it: tags dropped, white space collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text(response)).split())


def test_the_preview_shows_visits_not_recorded_and_sends_only_when_confirmed(
    page, provider_user, package
):
    deliver(provider_user, package, [d for d in range(1, 12) if d not in (3, 4)])
    client = page(provider_user)
    preview = text(client.post("/invoices/new/", FIELDS))
    assert "Check your invoice" in preview
    assert "2 planned visits up to yesterday have no record" in preview
    assert "Visits from today on are not due yet" in preview
    # The Send form posts the answers again as the date fields read them.
    assert '<input type="hidden" name="period_start" value="2025-03-01">' in preview
    assert not Invoice.objects.exists()
    response = client.post("/invoices/new/", {**FIELDS, "confirm": "yes"})
    invoice = Invoice.objects.get()
    assert response["Location"] == f"/invoices/{invoice.pk}/"
    assert invoice.lines.get().missed_visits == 2


def test_the_preview_warns_when_nothing_was_recorded(page, provider_user, package):
    response = page(provider_user).post("/invoices/new/", FIELDS)
    assert response.status_code == 200
    assert "Nothing was recorded for 1 Mar 2025 to 11 Mar 2025" in text(response)
    assert "govuk-error-summary" not in text(response)


def test_the_provider_withdraws_from_the_invoice_page(page, users, invoice):
    url = f"/invoices/{invoice.pk}/"
    assert "Withdraw this invoice" in text(page(users["provider"]).get(url))
    assert "Withdraw this invoice" not in text(page(users["commissioner"]).get(url))
    other = page(users["other_provider"]).post(f"{url}withdraw/")
    assert other.status_code == 404
    response = page(users["provider"]).post(f"{url}withdraw/")
    assert response["Location"] == "/invoices/"
    assert not Invoice.objects.exists()


def test_finance_holds_a_line_pays_the_rest_then_releases_and_pays_it(page, users, invoice):
    held = invoice.lines.order_by("package_id").first()
    finance, url = page(users["finance"]), f"/invoices/{invoice.pk}/"
    assert page(users["provider"]).get(f"{url}lines/{held.pk}/dispute/").status_code == 403
    form = finance.post(f"{url}lines/{held.pk}/dispute/", {"reason": ""})
    assert "Say why the line is disputed" in text(form)  # the form's own message
    finance.post(f"{url}lines/{held.pk}/dispute/", {"reason": "Visits on 3 March"})
    detail = text(finance.get(url))
    assert f"{held.amount:,.2f} held" in detail and "Visits on 3 March" in detail
    finance.post(f"{url}approve/")
    rest = invoice.total - held.amount
    # The form names what this payment pays, not the total: the held line is paid later.
    form = words(finance.get(f"{url}pay/"))
    assert f"This payment £{rest:,.2f}" in form and f"Held £{held.amount:,.2f}" in form
    paid = finance.post(
        f"{url}pay/", {"paid_on": "2025-03-12", "payment_reference": "BACS-1"}, follow=True
    )
    assert f"Invoice {invoice.reference} paid: £{rest:,.2f}." in words(paid)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.held_total) == (InvoiceStatus.APPROVED, held.amount)
    finance.post(f"{url}lines/{held.pk}/release/")
    assert f"This payment £{held.amount:,.2f}" in words(finance.get(f"{url}pay/"))
    finance.post(f"{url}pay/", {"paid_on": "2025-03-12", "payment_reference": "BACS-2"})
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert [p.payment_reference for p in invoice.payments.all()] == ["BACS-1", "BACS-2"]
    assert "Add a credit note" in text(finance.get(url))


def test_a_credit_note_from_the_page(page, users, invoice):
    services.approve_invoice(invoice_id=invoice.pk, by=users["finance"])
    services.pay_invoice(
        invoice_id=invoice.pk, by=users["finance"], paid_on=TODAY, payment_reference="P-1"
    )
    finance, url = page(users["finance"]), f"/invoices/{invoice.pk}/credit-notes/new/"
    assert page(users["provider"]).get(url).status_code == 403
    too_much = finance.post(url, {"amount": "9999", "reason": "x"})
    assert "At most 243.36" in text(too_much)
    finance.post(url, {"amount": "12.48", "reason": "Half an hour on 3 March"})
    assert CreditNote.objects.get().amount == Decimal("12.48")
    assert "-£12.48" in text(finance.get(f"/invoices/{invoice.pk}/"))


def test_remittance_advice_for_finance_and_the_provider(page, users, invoice):
    held = invoice.lines.order_by("package_id").last()
    services.dispute_line(invoice_id=invoice.pk, line_id=held.pk, by=users["finance"], reason="x")
    services.approve_invoice(invoice_id=invoice.pk, by=users["finance"])
    services.pay_invoice(
        invoice_id=invoice.pk, by=users["finance"], paid_on=TODAY, payment_reference="BACS-1"
    )
    query = "start=2025-03-01&end=2025-03-12"
    mine = text(page(users["provider"]).get(f"/invoices/remittance/?{query}"))
    assert "BACS-1" in mine and "£205.92" in mine and "1 row," in mine
    theirs = text(page(users["other_provider"]).get(f"/invoices/remittance/?{query}"))
    assert "Nothing was paid in these days" in theirs
    finance = page(users["finance"])
    response = finance.get(f"/invoices/remittance/?provider=PROV-A&{query}&format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["invoice_reference"], r["package"], r["amount"]) for r in rows] == [
        ("A-1", str(invoice.lines.order_by("package_id").first().package_id), "205.92")
    ]
    assert "Enter the provider" in text(finance.get(f"/invoices/remittance/?{query}"))
    assert page(users["broker"]).get("/invoices/remittance/").status_code == 403


def test_the_supplier_reference_on_the_provider_pages(page, users, provider_org):
    client = page(users["commissioner"])
    form = text(client.get(f"/providers/{provider_org.code}/edit/"))
    assert "Supplier reference" in form


def test_the_board_tags_due_today_and_overdue_red(page, users, now):
    InvoiceFactory(received_on=TODAY - datetime.timedelta(days=28), reference="TODAY-1")
    InvoiceFactory(received_on=TODAY - datetime.timedelta(days=30), reference="LATE-1")
    InvoiceFactory(received_on=TODAY - datetime.timedelta(days=24), reference="SOON-1")
    board = text(page(users["finance"]).get("/invoices/board/"))
    assert board.count('govuk-tag--red">Due today') == 1
    assert 'govuk-tag--red">Overdue' in board
    assert 'govuk-tag--yellow">Due soon' in board


def test_finance_sees_deadline_warnings_on_its_notifications_page(page, users, now):
    InvoiceFactory(received_on=TODAY - datetime.timedelta(days=28), reference="TODAY-1")
    services.check_invoice_deadlines()
    notifications = text(page(users["finance"]).get("/notifications/"))
    assert "Due today: invoice TODAY-1" in notifications


def queries(client, method, url, data=None):
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url, data)
    assert response.status_code == 200, text(response)[:2000]
    return len(captured)


def test_the_preview_queries_do_not_grow_with_packages_or_visits(page, provider_user, package):
    client = page(provider_user)
    deliver(provider_user, package, [1])
    few = queries(client, "post", "/invoices/new/", FIELDS)
    api_few = queries(client, "post", "/api/v1/invoices/preview/", FIELDS)
    for _ in range(3):
        more = PlacedPackageFactory(provider=provider_user.provider, start_date=MARCH_1)
        deliver(provider_user, more, range(1, 12))
    deliver(provider_user, package, range(2, 12))
    assert queries(client, "post", "/invoices/new/", FIELDS) == few
    assert queries(client, "post", "/api/v1/invoices/preview/", FIELDS) == api_few


def paid_invoice_of(provider_user, finance, packages, reference):
    for package in packages:
        deliver(provider_user, package, range(1, 4))
    built = services.build_invoice(
        by=provider_user, period_start=MARCH_1, period_end=march(3), reference=reference
    )
    services.approve_invoice(invoice_id=built.pk, by=finance)
    services.pay_invoice(
        invoice_id=built.pk, by=finance, paid_on=TODAY, payment_reference=f"BACS-{reference}"
    )
    return built


def test_the_remittance_page_is_paginated_and_its_queries_do_not_grow(
    page, users, provider_user, package
):
    """One payment of one line, then 60 more lines over further payments: the same queries;
    50 rows a page, the caption and the total counting every row."""
    finance, client = users["finance"], page(users["provider"])
    paid_invoice_of(provider_user, finance, [package], "R-0")
    url = "/invoices/remittance/?start=2025-03-01&end=2025-03-12"
    few = queries(client, "get", url)
    for batch in range(3):
        packages = [
            PlacedPackageFactory(provider=provider_user.provider, start_date=MARCH_1)
            for _ in range(20)
        ]
        paid_invoice_of(provider_user, finance, packages, f"R-{batch + 1}")
    assert queries(client, "get", url) == few
    first, second = text(client.get(url)), text(client.get(f"{url}&page=2"))
    assert "61 rows, £3,425.76 in all" in first  # 61 lines of 3 x 45 minutes at 24.96
    assert first.count("BACS-R-") == 50 and second.count("BACS-R-") == 11
    assert "Page 1 of 2" in first and 'rel="next"' in first
