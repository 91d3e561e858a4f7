"""Money in the browser: a provider previews and sends an invoice; finance holds one line,
pays the rest, releases and pays the line, adds a credit note and reads the remittance."""

import datetime
from decimal import Decimal

from django.utils import timezone
from playwright.sync_api import expect

from invoicing import services
from invoicing.models import PAYMENT_TERM_DAYS, CreditNote, Invoice, InvoiceStatus
from tests.browser.conftest import fill_date, screenshot, sign_in
from tests.factories import (
    FinanceFactory,
    PlacedPackageFactory,
    ProviderFactory,
    ProviderUserFactory,
)
from tests.invoicing.factories import InvoiceFactory, record

PAYMENT_TERM = datetime.timedelta(days=PAYMENT_TERM_DAYS)


def test_preview_send_hold_a_line_pay_release_and_credit(browser_page):
    tab = browser_page
    today = timezone.localdate()
    first, last = today - datetime.timedelta(days=14), today - datetime.timedelta(days=1)
    provider = ProviderFactory(code="ALPHA", name="Alpha Home Care", supplier_reference="-00042")
    provider_user = ProviderUserFactory(username="alpha.office", provider=provider)
    finance = FinanceFactory(username="fran.finance")
    held, other = (PlacedPackageFactory(provider=provider, start_date=first) for _ in "ab")
    day = first
    while day <= last:
        for package in (held, other):
            if not (package is other and day == first + datetime.timedelta(days=3)):
                record(provider_user, package, day, "08:00", "08:45")
        day += datetime.timedelta(days=1)

    sign_in(tab, provider_user)
    tab.goto("/invoices/new/")
    tab.get_by_label("Your invoice reference").fill("ALPHA-2026-12")
    fill_date(tab, "First day of the period", first)
    fill_date(tab, "Last day of the period", last)
    tab.get_by_role("button", name="Preview invoice").click()
    expect(tab.get_by_role("heading", name="Check your invoice")).to_be_visible()
    expect(tab.get_by_text("1 planned visit up to yesterday has no record")).to_be_visible()
    assert not Invoice.objects.exists()  # nothing is sent before "Send invoice"
    screenshot(tab, "money-provider-preview")
    tab.get_by_role("button", name="Send invoice").click()
    expect(tab.get_by_role("heading", name="Invoice ALPHA-2026-12")).to_be_visible()
    screenshot(tab, "money-provider-sent")
    tab.get_by_role("button", name="Sign out alpha.office").click()

    invoice = Invoice.objects.get(reference="ALPHA-2026-12")
    # An invoice from the post, due today: finance's warning is on its notifications page.
    InvoiceFactory(provider=provider, reference="POST-7", received_on=today - PAYMENT_TERM)
    services.check_invoice_deadlines()
    sign_in(tab, finance)
    tab.goto(f"/invoices/{invoice.pk}/")
    tab.get_by_role("link", name=f"Dispute package {held.pk}'s line").click()
    tab.get_by_label("Why is this line disputed?").fill("The visits on the 3rd were 15 minutes")
    screenshot(tab, "money-finance-dispute-line")
    tab.get_by_role("button", name="Hold this line").click()
    expect(tab.get_by_text(f"Package {held.pk}'s line is held.")).to_be_visible()
    tab.get_by_role("button", name="Approve").click()
    tab.get_by_role("link", name="Record payment").click()
    fill_date(tab, "Date paid", today)
    tab.get_by_label("Payment reference").fill("BACS-1001")
    screenshot(tab, "money-finance-pay-held")
    tab.get_by_role("button", name="Record payment").click()
    rest = invoice.total - invoice.lines.get(package=held).amount
    expect(tab.get_by_text(f"Invoice ALPHA-2026-12 paid: £{rest:,.2f}.")).to_be_visible()
    screenshot(tab, "money-finance-rest-paid")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED and invoice.held_total > 0

    tab.get_by_role("button", name=f"Release package {held.pk}'s line").click()
    tab.get_by_role("link", name="Record payment").click()
    fill_date(tab, "Date paid", today)
    tab.get_by_label("Payment reference").fill("BACS-1002")
    tab.get_by_role("button", name="Record payment").click()
    expect(tab.get_by_role("cell", name="BACS-1002")).to_be_visible()
    screenshot(tab, "money-finance-line-paid")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID

    tab.get_by_role("link", name="Add a credit note").click()
    tab.get_by_label("Amount (£)").fill("12.48")
    tab.get_by_label("What is the credit note for?").fill("Half an hour on the 3rd")
    tab.get_by_role("button", name="Add credit note").click()
    expect(tab.get_by_text("-£12.48")).to_be_visible()
    screenshot(tab, "money-finance-credit-note")
    assert CreditNote.objects.get().amount == Decimal("12.48")

    tab.goto(f"/invoices/remittance/?provider=ALPHA&start={first}&end={today}")
    expect(tab.get_by_text("BACS-1002")).to_be_visible()
    screenshot(tab, "money-finance-remittance")
    tab.goto("/notifications/")
    expect(tab.get_by_text("Due today: invoice POST-7")).to_be_visible()
    screenshot(tab, "money-finance-notifications")
    tab.goto("/invoices/board/")
    expect(tab.locator(".govuk-tag--red", has_text="Due today")).to_be_visible()
    screenshot(tab, "money-finance-board")
