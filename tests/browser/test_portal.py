"""The provider portal in Chromium: an offer arrives, is accepted, and the person appears."""

import pytest
from playwright.sync_api import expect

from brokerage.celery import app as celery_app
from brokering import services
from tests.browser.conftest import screenshot, sign_in
from tests.factories import (
    BrokerFactory,
    ContractFactory,
    OpenPackageFactory,
    PersonFactory,
    ProviderFactory,
    ProviderUserFactory,
    ZoneFactory,
)
from zones.models import AllocationMode


@pytest.fixture
def eager_tasks():
    # Declining enqueues the next brokering step; run it in the live server's thread.
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def offered(eager_tasks):
    """Two packages in a broadcast zone, offered to Alpha Home Care and another provider."""
    zone = ZoneFactory(code="EXE", name="Exeter", allocation_mode=AllocationMode.BROADCAST)
    zone.districts.update_or_create(district="EX2")
    alpha = ProviderFactory(code="ALPHA", name="Alpha Home Care")
    ContractFactory(zone=zone, provider=alpha, role="primary")
    ContractFactory(zone=zone, provider=ProviderFactory(code="BETA", name="Beta Care"))
    person = PersonFactory(
        given_name="Margaret",
        family_name="Oakley",
        address_line="4 Fore Street",
        postcode="EX2 4QD",
    )
    package = OpenPackageFactory(
        zone=zone, person=person, priority="urgent", needs="Hoist transfers; lives alone."
    )
    other = OpenPackageFactory(zone=zone, person=PersonFactory(postcode="EX2 5AB"))
    for each in (package, other):
        services.advance_brokering(package_id=each.pk)
    user = ProviderUserFactory(username="alpha.office", provider=alpha)
    return user, package, other


def test_provider_accepts_an_offer_and_sees_the_persons_details(browser_page, offered):
    user, package, _ = offered
    tab = browser_page
    sign_in(tab, user)
    tab.goto("/brokering/offers/")

    card = tab.locator(".govuk-summary-card", has_text=f"Package {package.pk}:")
    expect(card.get_by_text("Hoist transfers; lives alone.")).to_be_visible()
    expect(
        card.get_by_text("Every day at 08:00, 45 minutes, 1 carer: personal care")
    ).to_be_visible()
    assert "Oakley" not in tab.content() and "4 Fore Street" not in tab.content()
    screenshot(tab, "portal_offers")

    card.get_by_role("button", name=f"Accept package {package.pk}").click()
    tab.wait_for_load_state()

    assert tab.url.endswith(f"/packages/{package.pk}/")
    expect(tab.get_by_text(f"You accepted package {package.pk}")).to_be_visible()
    expect(tab.get_by_text("Oakley").first).to_be_visible()
    expect(tab.get_by_text("4 Fore Street").first).to_be_visible()
    screenshot(tab, "portal_accepted_package")


def test_provider_declines_with_a_reason(browser_page, offered):
    user, _, other = offered
    tab = browser_page
    sign_in(tab, user)
    tab.goto("/brokering/offers/")
    tab.get_by_role("link", name=f"Decline package {other.pk}").click()

    tab.get_by_role("button", name="Decline offer").click()
    expect(tab.locator(".govuk-error-summary")).to_be_visible()
    screenshot(tab, "portal_decline_error")

    tab.get_by_label("Other").check()
    tab.get_by_label("Details").fill("Our carers in EX2 are fully booked.")
    tab.get_by_role("button", name="Decline offer").click()
    tab.wait_for_load_state()

    expect(tab.get_by_text(f"You declined the offer of package {other.pk}")).to_be_visible()
    assert tab.locator(".govuk-summary-card", has_text=f"Package {other.pk}:").count() == 0
    screenshot(tab, "portal_after_decline")


def test_an_offer_taken_meanwhile_disappears_from_the_live_list(browser_page, offered):
    user, package, _ = offered
    tab = browser_page
    sign_in(tab, user)
    tab.goto("/brokering/offers/")
    beta_offer = package.offers.get(provider__code="BETA")

    services.accept_offer(offer_id=beta_offer.pk, by=None)
    tab.wait_for_selector(
        f"text=The offer of package {package.pk} is no longer available", timeout=15_000
    )

    expect(tab.get_by_text("taken by another provider")).to_be_visible()
    assert tab.locator(".govuk-summary-card", has_text=f"Package {package.pk}:").count() == 0
    screenshot(tab, "portal_offer_taken")


def test_broker_sees_who_holds_the_offer_and_places_by_hand_from_the_ranked_list(
    browser_page, offered
):
    _, package, _ = offered
    tab = browser_page
    sign_in(tab, BrokerFactory(username="dana.broker"))
    tab.goto("/packages/worklist/")
    row = tab.locator("tr", has_text=f"Package {package.pk}")
    expect(row.get_by_text("Alpha Home Care")).to_be_visible()
    expect(row.get_by_text("answer within").first).to_be_visible()
    screenshot(tab, "broker_worklist_offer_holders")

    for offer in package.offers.all():
        services.decline_offer(offer_id=offer.pk, by=None, reason="call_times")
    package.refresh_from_db()
    assert package.escalated
    tab.goto(f"/packages/{package.pk}/")
    expect(tab.get_by_text("Cannot meet the call times").first).to_be_visible()
    screenshot(tab, "broker_package_offers_escalated")

    tab.get_by_role("link", name="Place by hand").click()
    expect(tab.get_by_text("Eligible").first).to_be_visible()
    screenshot(tab, "broker_place_by_hand_ranked")
    tab.get_by_label("Alpha Home Care").check()
    tab.get_by_label("Reason for placing by hand").fill("Alpha found a carer after all.")
    tab.get_by_role("button", name="Place with this provider").click()
    tab.wait_for_load_state()

    expect(tab.get_by_text(f"Package {package.pk} is placed with Alpha Home Care")).to_be_visible()
    screenshot(tab, "broker_package_placed_by_hand")
