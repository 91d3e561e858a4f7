"""A broker records a hospital discharge with a double-handed call and submits it."""

import re

from playwright.sync_api import expect

from packages.models import EventKind, Package, PackageStatus
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    BrokerFactory,
    PackageFactory,
    PersonFactory,
    PlacedPackageFactory,
    ProviderFactory,
    ProviderUserFactory,
    ZoneFactory,
)


def test_broker_records_and_submits_a_hospital_discharge(browser_page):
    tab = browser_page
    ZoneFactory(code="EXE", name="Exeter", districts=["EX1", "EX2", "EX4"])
    known = PersonFactory(nhs_number="9434765919", given_name="Ada", family_name="Ashworth")
    PackageFactory(person=known, zone__code="EXE", status=PackageStatus.ENDED)
    broker = BrokerFactory(username="dana.broker")
    sign_in(tab, broker)

    tab.goto("/packages/worklist/")
    tab.get_by_role("button", name="Record a referral").click()
    expect(tab.get_by_role("heading", name="Record a referral")).to_be_visible()
    # The heading shows before htmx (deferred) has bound the as-you-type checks.
    tab.wait_for_load_state()

    tab.get_by_label("NHS number").fill("943 476 5919")
    expect(tab.locator("#nhs-check")).to_contain_text("943 476 5919 is valid")
    expect(tab.locator("[data-known-person]")).to_contain_text("Known person: Ada Ashworth")
    tab.get_by_label("Given name").fill("Ada")
    tab.get_by_label("Family name").fill("Ashworth")
    birth = tab.get_by_role("group", name="Date of birth")
    birth.get_by_label("Day").fill("17")
    birth.get_by_label("Month").fill("5")
    birth.get_by_label("Year").fill("1938")
    tab.get_by_label("Address").fill("1 Fore Street, Exeter")
    tab.get_by_label("Postcode").fill("ex2 4qd")
    expect(tab.locator("#postcode-zone")).to_contain_text("Exeter (EXE)")

    tab.get_by_label("Hospital discharge").check()
    ready = tab.get_by_role("group", name="Date the person is ready to leave hospital")
    ready.get_by_label("Day").fill("22")
    ready.get_by_label("Month").fill("11")
    ready.get_by_label("Year").fill("2026")
    tab.get_by_label("Urgent").check()
    start = tab.get_by_role("group", name="Start date")
    start.get_by_label("Day").fill("23")
    start.get_by_label("Month").fill("11")
    start.get_by_label("Year").fill("2026")

    # Visit 1: every morning, 45 minutes, double-handed.
    first = tab.locator("[data-visit]").nth(0)
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        first.get_by_label(day).check()
    first.get_by_label("Time").fill("08:00")
    first.get_by_label("Minutes").fill("45")
    first.get_by_label("2 (double-handed)").check()
    first.get_by_label("Purpose").select_option("personal_care")
    expect(tab.locator("[data-weekly-hours]")).to_have_text("10.5")

    # Visit 2: a 15-minute medication check on weekdays.
    tab.get_by_role("button", name="Add another visit").click()
    second = tab.locator("[data-visit]").nth(1)
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        second.get_by_label(day).check()
    second.get_by_label("Time").fill("12:30")
    second.get_by_label("Minutes").fill("15")
    second.get_by_label("Purpose").select_option("medication")
    expect(tab.locator("[data-weekly-hours]")).to_have_text("11.75")
    screenshot(tab, "packages_referral_form")

    # The record has another address for this NHS number: the broker is asked to confirm.
    tab.get_by_role("button", name="Continue").click()
    expect(tab.locator(".govuk-error-summary")).to_contain_text(
        "The address differs from the record of the person with this NHS number"
    )
    expect(tab.locator("[data-confirm-person]")).to_be_visible()
    screenshot(tab, "packages_referral_confirm_person")
    tab.get_by_label("This is the same person: update their record").check()
    tab.get_by_role("button", name="Continue").click()
    expect(tab.get_by_role("heading", name="Check your answers")).to_be_visible()
    tab.get_by_role("button", name="Submit for brokering").click()
    expect(tab.get_by_role("heading", name=re.compile(r"^Package \d+"))).to_contain_text("Open")
    expect(tab.locator(".govuk-notification-banner")).to_contain_text("submitted for brokering")
    grid = tab.locator("table.app-visit-grid")
    expect(grid.locator(".app-visit-grid__cell--double")).to_have_count(7)
    expect(grid).to_contain_text("2 carers")
    screenshot(tab, "packages_package_submitted")

    package = Package.objects.exclude(status=PackageStatus.ENDED).get()
    assert package.status == PackageStatus.OPEN
    assert package.person == known
    assert package.weekly_hours == package.weekly_hours.__class__("11.75")
    assert list(package.events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.UPDATED,
        EventKind.SUBMITTED,
    ]
    known.refresh_from_db()
    assert (known.address_line, known.postcode) == ("1 Fore Street, Exeter", "EX2 4QD")

    tab.goto("/packages/worklist/")
    expect(tab.get_by_role("link", name=f"Package {package.pk}")).to_be_visible()
    screenshot(tab, "packages_worklist")


def test_broker_sees_every_problem_at_its_field(browser_page):
    tab = browser_page
    ZoneFactory(code="EXE", name="Exeter", districts=["EX2"])
    sign_in(tab, BrokerFactory(username="dana.broker"))
    tab.goto("/packages/new/")
    tab.get_by_label("NHS number").fill("943 476 5918")
    expect(tab.locator("#nhs-check")).to_contain_text("valid 10-digit NHS number")
    tab.get_by_label("Postcode").fill("SW1A 1AA")
    expect(tab.locator("#postcode-zone")).to_contain_text("No zone covers")
    first = tab.locator("[data-visit]").nth(0)
    first.get_by_label("Monday").check()
    first.get_by_label("Minutes").fill("20")
    first.get_by_label("Purpose").select_option("meal")
    tab.get_by_role("button", name="Continue").click()
    summary = tab.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter a valid 10-digit NHS number")
    expect(summary).to_contain_text("No zone covers")
    expect(summary).to_contain_text("at least 30 minutes")
    expect(summary).to_contain_text("Enter the time of the visit")
    screenshot(tab, "packages_referral_errors")
    assert not Package.objects.exists()


def test_provider_sees_its_package_and_hands_it_back(browser_page):
    tab = browser_page
    provider = ProviderFactory(code="PROV-A", name="Alpha Home Care")
    package = PlacedPackageFactory(
        zone=ZoneFactory(code="EXE", name="Exeter", districts=["EX2"]),
        provider=provider,
        person=PersonFactory(given_name="Ada", family_name="Ashworth", postcode="EX2 4QD"),
    )
    sign_in(tab, ProviderUserFactory(username="alpha.office", provider=provider))
    tab.goto("/packages/ours/")
    expect(tab.get_by_role("cell", name=re.compile("Ada Ashworth"))).to_be_visible()
    screenshot(tab, "packages_provider_list")
    tab.get_by_role("link", name=f"Package {package.pk}").click()
    tab.get_by_text("Hand this package back").click()
    tab.locator("#id_hand_back-reason").fill("We have lost two carers in this area")
    screenshot(tab, "packages_provider_package")
    tab.get_by_role("button", name="Hand back").click()
    expect(tab.locator(".govuk-notification-banner")).to_contain_text("handed back")
    package.refresh_from_db()
    assert (package.status, package.provider) == (PackageStatus.OPEN, None)
