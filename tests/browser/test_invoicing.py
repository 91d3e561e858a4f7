"""A provider uploads its visits and invoices; finance approves and pays, deadline in view."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from invoicing.models import Invoice, InvoiceStatus
from tests.browser.conftest import fill_date, screenshot, sign_in
from tests.factories import (
    FinanceFactory,
    PlacedPackageFactory,
    ProviderFactory,
    ProviderUserFactory,
)


def visits_csv(package, first, last):
    lines = ["package,date,actual_start,actual_end,carers"]
    day = first
    while day <= last:
        end = "08:31" if day.day % 9 == 0 else "08:44"  # now and then a short visit
        lines.append(f"{package.pk},{day.isoformat()},08:02,{end},1")
        day += datetime.timedelta(days=1)
    return "\n".join(lines).encode()


def test_finance_approves_and_pays_an_invoice(browser_page):
    tab = browser_page
    today = timezone.localdate()
    first, last = today - datetime.timedelta(days=28), today - datetime.timedelta(days=1)
    provider = ProviderFactory(code="ALPHA", name="Alpha Home Care")
    provider_user = ProviderUserFactory(username="alpha.office", provider=provider)
    finance = FinanceFactory(username="fran.finance")
    package = PlacedPackageFactory(provider=provider, start_date=first)

    sign_in(tab, provider_user)
    tab.get_by_role("link", name="Visits", exact=True).click()
    bad = (
        b"package,date,actual_start,actual_end,carers\n"
        + (
            f"{package.pk},{first.isoformat()},8am,08:45,1\n999,{first.isoformat()},08:00,08:45,3"
        ).encode()
    )
    tab.get_by_label("CSV file of delivered visits").set_input_files(
        {"name": "ecm-export.csv", "mimeType": "text/csv", "buffer": bad}
    )
    tab.get_by_role("button", name="Upload visits").click()
    expect(tab.get_by_text("2 rows have problems: nothing was imported.").first).to_be_visible()
    screenshot(tab, "invoicing_provider_upload_errors")
    tab.get_by_label("CSV file of delivered visits").set_input_files(
        {
            "name": "ecm-export.csv",
            "mimeType": "text/csv",
            "buffer": visits_csv(package, first, last),
        }
    )
    tab.get_by_role("button", name="Upload visits").click()
    expect(tab.get_by_text("28 delivered visits imported.")).to_be_visible()
    screenshot(tab, "invoicing_provider_visits")

    tab.get_by_role("link", name="Build an invoice").first.click()
    tab.get_by_label("Your invoice reference").fill("ALPHA-2025-01")
    fill_date(tab, "First day of the period", first)
    fill_date(tab, "Last day of the period", last)
    tab.get_by_role("button", name="Preview invoice").click()
    expect(tab.get_by_role("heading", name="Check your invoice")).to_be_visible()
    screenshot(tab, "invoicing_provider_preview")
    tab.get_by_role("button", name="Send invoice").click()
    expect(tab.get_by_role("heading", name="Invoice ALPHA-2025-01")).to_be_visible()
    expect(tab.get_by_text("28 days left")).to_be_visible()
    screenshot(tab, "invoicing_provider_invoice")
    tab.get_by_role("button", name="Sign out alpha.office").click()

    sign_in(tab, finance)
    tab.get_by_role("link", name="Payment board").click()
    expect(tab.get_by_role("link", name="ALPHA-2025-01")).to_be_visible()
    screenshot(tab, "invoicing_finance_board")
    tab.get_by_role("link", name="ALPHA-2025-01").click()
    tab.get_by_role("link", name=re.compile(rf"^Package {package.pk}\s*visits$")).click()
    expect(
        tab.get_by_role("heading", name=f"Package {package.pk}: the visits behind the line")
    ).to_be_visible()
    screenshot(tab, "invoicing_finance_line_visits")
    tab.get_by_role("link", name="Planned against delivered, week by week").click()
    screenshot(tab, "invoicing_package_delivery")
    tab.go_back()
    tab.get_by_role("link", name="Back to invoice ALPHA-2025-01").click()

    tab.get_by_role("button", name="Approve").click()
    expect(tab.get_by_text("Invoice ALPHA-2025-01 approved.")).to_be_visible()
    tab.get_by_role("link", name="Record payment").click()
    fill_date(tab, "Date paid", today)
    tab.get_by_label("Payment reference").fill("BACS-000123")
    screenshot(tab, "invoicing_finance_pay_form")
    tab.get_by_role("button", name="Record payment").click()
    expect(
        tab.get_by_text(re.compile(r"^Invoice ALPHA-2025-01 paid: £[\d,]+\.\d\d\.$"))
    ).to_be_visible()
    expect(tab.get_by_text("Paid on time")).to_be_visible()
    screenshot(tab, "invoicing_finance_paid")

    invoice = Invoice.objects.get(reference="ALPHA-2025-01")
    assert (invoice.status, invoice.paid_on, invoice.payment_reference) == (
        InvoiceStatus.PAID,
        today,
        "BACS-000123",
    )
