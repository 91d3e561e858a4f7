"""A package's life in the browser: changed from a date, reviewed, handed back with notice,
found by search, and a referral taken on the phone with its answers checked."""

import datetime

from playwright.sync_api import expect

from core import clock
from packages.models import Package, PackageStatus, PersonAccess
from tests.browser.conftest import fill_date, screenshot, sign_in
from tests.factories import (
    BrokerFactory,
    PersonFactory,
    PlacedPackageFactory,
    ProviderFactory,
    ProviderUserFactory,
    ZoneFactory,
)


def next_monday():
    today = clock.today()
    return today + datetime.timedelta(days=7 - today.weekday())


def test_a_broker_changes_the_visits_from_next_monday_and_the_provider_sees_it(
    browser_page, new_tab
):
    tab = browser_page
    provider = ProviderFactory(code="PROV-A", name="Alpha Home Care")
    package = PlacedPackageFactory(
        zone=ZoneFactory(code="EXE", name="Exeter", districts=["EX2"]),
        provider=provider,
        person=PersonFactory(given_name="Ada", family_name="Ashworth", postcode="EX2 4QD"),
        start_date=clock.today() - datetime.timedelta(days=14),
    )
    office = ProviderUserFactory(username="alpha.office", provider=provider)
    sign_in(tab, BrokerFactory(username="dana.broker"))
    tab.goto(f"/packages/{package.pk}/")
    tab.get_by_role("link", name="Change the visits from a date").click()
    expect(tab.get_by_role("heading", name="Change the visits from a date")).to_be_visible()

    monday = next_monday()
    starts = tab.get_by_role("group", name="Date the change starts")
    starts.get_by_label("Day").fill(str(monday.day))
    starts.get_by_label("Month").fill(str(monday.month))
    starts.get_by_label("Year").fill(str(monday.year))
    tab.get_by_label("Why the visits change").fill("Review: stronger in the mornings now")
    morning = tab.locator("[data-visit]").nth(0)
    expect(morning.get_by_label("Minutes")).to_have_value("45")
    morning.get_by_label("Minutes").fill("30")
    expect(tab.locator("[data-weekly-hours]")).to_have_text("3.5")
    screenshot(tab, "life_change_form")
    tab.get_by_role("button", name="Change the visits").click()
    expect(tab.locator(".govuk-notification-banner")).to_contain_text("its provider has been told")
    expect(tab.locator("#versions")).to_be_visible()
    screenshot(tab, "life_change_saved")

    # The provider is told, and sees from when the visits change and what they become.
    provider_tab = new_tab()
    sign_in(provider_tab, office)
    provider_tab.goto("/notifications/")
    expect(provider_tab.get_by_text(f"Package {package.pk} changes from")).to_be_visible()
    provider_tab.get_by_role("link", name=f"Package {package.pk} changes from").first.click()
    versions = provider_tab.locator("table", has_text="Coming")
    expect(versions).to_contain_text(f"{monday:%-d %b %Y}")
    expect(versions).to_contain_text("Every day at 08:00, 30 minutes, 1 carer: personal care")
    expect(versions).to_contain_text("Review: stronger in the mornings now")
    # Until then the week's visits are as they were.
    expect(provider_tab.locator("table.app-visit-grid")).to_contain_text("45 min")
    screenshot(provider_tab, "life_change_seen_by_provider")


def test_a_broker_reviews_a_placed_package(browser_page):
    tab = browser_page
    package = PlacedPackageFactory(
        zone=ZoneFactory(code="EXE", name="Exeter", districts=["EX2"]),
        start_date=clock.today() - datetime.timedelta(days=42),
    )
    sign_in(tab, BrokerFactory(username="dana.broker"))
    tab.goto(f"/packages/{package.pk}/")
    tab.get_by_role("link", name="Record a review").click()
    fill_date(tab, "Date of the review", clock.today())
    tab.get_by_label("Independence").select_option("partly_met")
    tab.get_by_label("Continue as it is").check()
    tab.get_by_label("Notes").fill("Managing the stairs again with one carer")
    screenshot(tab, "life_review_form")
    tab.get_by_role("button", name="Record the review").click()
    expect(tab.locator(".govuk-notification-banner")).to_contain_text(
        f"Review of package {package.pk} recorded"
    )
    expect(tab.locator("main")).to_contain_text("Independence: partly met")
    screenshot(tab, "life_review_recorded")


def test_a_provider_hands_a_package_back_with_notice_and_the_worklist_shows_it(
    browser_page, new_tab
):
    tab = browser_page
    provider = ProviderFactory(code="PROV-A", name="Alpha Home Care")
    package = PlacedPackageFactory(
        zone=ZoneFactory(code="EXE", name="Exeter", districts=["EX2"]), provider=provider
    )
    sign_in(tab, ProviderUserFactory(username="alpha.office", provider=provider))
    tab.goto(f"/packages/{package.pk}/")
    hand_back = tab.locator("details", has_text="Hand this package back")
    hand_back.get_by_text("Hand this package back").click()
    hand_back.get_by_label("Reason").fill("We lose two carers in this area at the end of the month")
    last_day = clock.today() + datetime.timedelta(days=14)
    fill_date(tab, "Your last day of care", last_day)
    hand_back.get_by_role("button", name="Hand back").click()
    expect(tab.locator(".govuk-notification-banner")).to_contain_text(f"{last_day:%-d %b %Y}")
    # Still theirs until the last day: the page stays open to them, marked handed back.
    expect(tab.get_by_text("Handed back", exact=True).first).to_be_visible()
    screenshot(tab, "life_hand_back_provider")

    broker_tab = new_tab()
    sign_in(broker_tab, BrokerFactory(username="dana.broker"))
    broker_tab.goto("/packages/worklist/")
    notices = broker_tab.locator("table", has_text="Handed back with notice")
    expect(notices).to_contain_text(f"Package {package.pk}")
    expect(notices).to_contain_text(f"last day {last_day:%-d %b %Y}")
    screenshot(broker_tab, "life_hand_back_worklist")


def test_a_broker_finds_a_package_by_family_name(browser_page):
    tab = browser_page
    zone = ZoneFactory(code="EXE", name="Exeter", districts=["EX2"])
    found = PlacedPackageFactory(zone=zone, person=PersonFactory(family_name="Pemberton"))
    other = PlacedPackageFactory(zone=zone, person=PersonFactory(family_name="Ashworth"))
    broker = BrokerFactory(username="dana.broker")
    sign_in(tab, broker)
    tab.goto("/packages/all/")
    tab.get_by_label("Search").fill("pemb")
    tab.get_by_role("button", name="Search").click()
    expect(tab.get_by_role("link", name=f"Package {found.pk}")).to_be_visible()
    expect(tab.get_by_role("link", name=f"Package {other.pk}")).to_have_count(0)
    expect(tab.locator("main")).to_contain_text("Pemberton")
    screenshot(tab, "life_search")
    # The person found counts as a view of their record.
    assert PersonAccess.objects.filter(user=broker, person=found.person).exists()


def test_a_broker_takes_a_referral_on_the_phone_and_checks_the_answers(browser_page):
    tab = browser_page
    ZoneFactory(code="EXE", name="Exeter", districts=["EX2"])
    sign_in(tab, BrokerFactory(username="dana.broker"))
    tab.goto("/packages/new/")
    tab.wait_for_load_state()  # htmx (deferred) binds the as-you-type checks
    tab.get_by_label("NHS number").fill("943 476 5919")
    tab.get_by_label("Given name").fill("Ada")
    tab.get_by_label("Family name").fill("Ashworth")
    # The ward rings off: the referral is parked with no more than who it is about.
    tab.get_by_role("button", name="Save as a draft").click()
    expect(tab.locator(".govuk-notification-banner")).to_contain_text("Referral saved")
    tab.locator("[data-in-progress]").get_by_role("link", name="Ada Ashworth").click()
    expect(tab.get_by_label("Family name")).to_have_value("Ashworth")
    expect(tab.locator(".govuk-error-summary")).to_have_count(0)

    fill_date(tab, "Date of birth", datetime.date(1938, 5, 17))
    tab.get_by_label("Address", exact=True).fill("1 Fore Street, Exeter")
    tab.get_by_label("Postcode").fill("EX2 4QD")
    tab.get_by_label("Their phone number").fill("01392 000111")
    tab.get_by_label("Next of kin").fill("Jane Ashworth, daughter, 07700 900123")
    tab.get_by_label("Getting in").fill("Key safe by the back door, code 4321")
    tab.get_by_label("Their name").fill("Sam Patel")
    tab.get_by_label("Organisation or ward").fill("RD&E Ward A5")
    tab.get_by_label("Community", exact=True).check()
    fill_date(tab, "Start date", clock.today())
    tab.get_by_label("Independence").check()
    tab.get_by_label("Daily living").check()
    visit = tab.locator("[data-visit]").nth(0)
    visit.get_by_label("Monday").check()
    visit.get_by_label("Time").fill("09:00")
    visit.get_by_label("Minutes").fill("30")
    visit.get_by_label("Purpose").select_option("meal")
    screenshot(tab, "life_phone_referral_form")
    tab.get_by_role("button", name="Continue").click()

    expect(tab.get_by_role("heading", name="Check your answers")).to_be_visible()
    contact = tab.locator("[data-section=contact]")
    expect(contact).to_contain_text("code 4321")
    expect(tab.locator("[data-section=referrer]")).to_contain_text("RD&E Ward A5")
    expect(tab.locator("[data-section=referral]")).to_contain_text("Daily living, Independence")
    screenshot(tab, "life_check_answers")
    # A wrong digit read back over the phone: Change leads to the answer, then back here.
    contact.get_by_role("link", name="Change phone").click()
    tab.get_by_label("Their phone number").fill("01392 000112")
    tab.get_by_role("button", name="Continue").click()
    expect(tab.locator("[data-section=contact]")).to_contain_text("01392 000112")
    tab.get_by_role("button", name="Submit for brokering").click()
    expect(tab.locator(".govuk-notification-banner")).to_contain_text("submitted for brokering")
    expect(tab.locator("[data-access-notes]")).to_contain_text("code 4321")
    screenshot(tab, "life_phone_referral_submitted")
    package = Package.objects.get()
    assert package.status == PackageStatus.OPEN and package.person.phone == "01392 000112"
