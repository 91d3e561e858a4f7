"""The provider portal's offer pages, notifications, and the broker's offer actions."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from brokering import services
from brokering.models import Offer, OfferStatus
from notifications.models import Notification
from packages.models import PackageStatus
from tests.factories import ProviderFactory
from zones.models import AllocationMode

from .factories import market, open_package

pytestmark = pytest.mark.django_db

PORTAL = reverse("brokering:portal_offers")


@pytest.fixture
def offers(users, provider_org, other_provider_org):
    zone, _ = market(AllocationMode.BROADCAST, primary=False, secondary=False)
    zone.contracts.create(provider=provider_org, role="primary")
    zone.contracts.create(provider=other_provider_org, role="secondary")
    package = open_package(zone, priority="urgent", needs="Hoist transfers")
    made = services.advance_brokering(package_id=package.pk)
    return {o.provider_id: o for o in made} | {"package": package, "zone": zone}


def test_portal_role_matrix(page, users, offers):
    assert page().get(PORTAL).status_code == 302
    for role in ("broker", "commissioner", "finance"):
        assert page(users[role]).get(PORTAL).status_code == 403
    assert page(users["admin"]).get(PORTAL).status_code == 200
    assert page(users["provider"]).get(PORTAL).status_code == 200


def test_portal_lists_own_pending_offers_with_the_anonymised_summary(
    page, users, offers, provider_org
):
    response = page(users["provider"]).get(PORTAL)

    text = response.content.decode()
    mine = offers[provider_org.pk]
    assert list(response.context["page"]) == [mine]
    assert f"Package {mine.package_id}" in text and "Hoist transfers" in text
    assert "Every day at 08:00, 45 minutes, 1 carer: personal care" in text
    assert "Urgent" in text and "Time left to answer" in text and 'hx-trigger="every 10s"' in text
    person = offers["package"].person
    for secret in (person.family_name, person.nhs_number, person.address_line, person.postcode):
        assert secret not in text


def test_another_providers_offer_page_is_404(page, users, offers, other_provider_org):
    theirs = offers[other_provider_org.pk]
    client = page(users["provider"])
    assert client.get(reverse("brokering:portal_offer", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("brokering:offer_accept", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("brokering:offer_decline", args=[theirs.pk])).status_code == 404


def test_accept_in_the_portal_places_the_package_and_goes_to_it(page, users, offers, provider_org):
    mine = offers[provider_org.pk]

    response = page(users["provider"]).post(reverse("brokering:offer_accept", args=[mine.pk]))

    assert response.status_code == 302
    assert response.url == reverse("packages:detail", args=[mine.package_id])
    offers["package"].refresh_from_db()
    assert offers["package"].status == PackageStatus.PLACED


def test_an_offer_taken_by_someone_else_gives_a_message_not_an_error(
    page, users, offers, provider_org, other_provider_org
):
    services.accept_offer(offer_id=offers[other_provider_org.pk].pk, by=users["other_provider"])
    mine = offers[provider_org.pk]
    client = page(users["provider"])

    response = client.post(reverse("brokering:offer_accept", args=[mine.pk]), follow=True)

    assert response.status_code == 200
    assert "no longer available" in response.content.decode()
    detail = client.get(reverse("brokering:portal_offer", args=[mine.pk]))
    assert "taken by another provider" in detail.content.decode()


def test_the_live_list_says_why_an_offer_disappeared(
    page, users, offers, provider_org, other_provider_org
):
    mine = offers[provider_org.pk]
    services.accept_offer(offer_id=offers[other_provider_org.pk].pk, by=None)

    response = page(users["provider"]).get(
        PORTAL, {"shown": str(mine.pk)}, headers={"HX-Request": "true"}
    )

    text = response.content.decode()
    assert response.templates[0].name == "brokering/offer_list_rows.html"
    assert f"The offer of package {mine.package_id} is no longer available" in text
    assert "taken by another provider" in text
    assert "Accept" not in text


def test_the_live_list_asks_again_with_only_the_offers_it_shows(page, users, offers, provider_org):
    # htmx adds the shown offers to the list's own address on every poll: were that address
    # to keep the last poll's `shown` too, it would grow by one list every ten seconds.
    response = page(users["provider"]).get(
        PORTAL, {"status": "pending", "shown": "1,2,3"}, headers={"HX-Request": "true"}
    )

    text = response.content.decode()
    assert f'hx-get="{PORTAL}?status=pending"' in text
    assert f'name="shown" value="{offers[provider_org.pk].pk},"' in text


def test_an_offer_taken_meanwhile_stays_explained_while_the_list_refreshes(
    page, users, offers, provider_org, other_provider_org
):
    mine = offers[provider_org.pk]
    services.accept_offer(offer_id=offers[other_provider_org.pk].pk, by=None)
    client = page(users["provider"])
    poll = {"headers": {"HX-Request": "true"}}

    first = client.get(PORTAL, {"shown": f"{mine.pk},"}, **poll).content.decode()
    # The next poll sends back what the list now holds: the gone offer, to keep explaining it.
    assert f'name="shown" value="{mine.pk},"' in first
    again = client.get(PORTAL, {"shown": f"{mine.pk},"}, **poll).content.decode()
    assert f"The offer of package {mine.package_id} is no longer available" in again


def test_decline_form_asks_for_a_reason(page, users, offers, provider_org):
    mine = offers[provider_org.pk]
    client = page(users["provider"])
    decline = reverse("brokering:offer_decline", args=[mine.pk])

    form = client.get(decline).content.decode()
    assert 'type="radio"' in form and "Not in our area" in form and "Skills needed" in form
    missing = client.post(decline, {})
    assert "There is a problem" in missing.content.decode()
    other = client.post(decline, {"reason": "other", "detail": ""})
    assert "Say why you are declining this offer" in other.content.decode()
    done = client.post(decline, {"reason": "not_in_area"})

    assert done.status_code == 302 and done.url == PORTAL
    mine.refresh_from_db()
    assert (mine.status, mine.decline_reason) == (OfferStatus.DECLINED, "not_in_area")


def test_can_do_part_of_it_needs_the_part_in_words_and_the_broker_reads_them(
    page, users, offers, provider_org
):
    mine = offers[provider_org.pk]
    decline = reverse("brokering:offer_decline", args=[mine.pk])
    client = page(users["provider"])
    assert "Cannot meet the call times" in client.get(decline).content.decode()

    blank = client.post(decline, {"reason": "part", "detail": "  "})
    assert "Say which part of the care you can do" in blank.content.decode()
    done = client.post(decline, {"reason": "part", "detail": "The morning calls"})

    assert done.status_code == 302
    package_page = page(users["broker"]).get(reverse("packages:detail", args=[mine.package_id]))
    assert "Can do part of it: The morning calls" in package_page.content.decode()


def test_portal_csv_and_status_filter(page, users, offers, provider_org):
    client = page(users["provider"])
    csv = client.get(PORTAL, {"format": "csv", "status": ""})
    assert csv["Content-Type"].startswith("text/csv")
    body = b"".join(csv.streaming_content).decode()
    assert "PROV-A" in body and "PROV-B" not in body
    assert list(client.get(PORTAL, {"status": "accepted"}).context["page"]) == []


def test_portal_queries_do_not_grow_with_offers(
    page, users, provider_org, django_assert_max_num_queries
):
    zone, _ = market(AllocationMode.BROADCAST, primary=False, secondary=False)
    zone.contracts.create(provider=provider_org, role="primary")
    for _ in range(12):
        services.advance_brokering(package_id=open_package(zone).pk)
    client = page(users["provider"])
    with django_assert_max_num_queries(14):
        response = client.get(PORTAL)
    assert len(response.context["rows"]) == 12


def test_notifications_page_lists_and_marks_read(page, users, offers):
    client = page(users["provider"])
    url = reverse("notifications:list")
    assert page().get(url).status_code == 302

    response = client.get(url)
    text = response.content.decode()
    assert response.status_code == 200 and "New offer: package" in text
    assert "You have 1 unread notification." in text and ">Unread</strong>" in text
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(recipient=users["provider"], read_at=None).exists()
    assert client.get(url, {"format": "csv"})["Content-Type"].startswith("text/csv")


# --- The broker's side -----------------------------------------------------


def test_package_page_shows_every_offer_and_broker_actions_only_to_brokers(page, users, offers):
    url = reverse("packages:detail", args=[offers["package"].pk])
    broker_view = page(users["broker"]).get(url).content.decode()
    reader_view = page(users["commissioner"]).get(url).content.decode()

    assert "Alpha Home Care" in broker_view and "Beta Care Services" in broker_view
    assert "Place by hand" in broker_view and "Re-broker" in broker_view
    assert "Alpha Home Care" in reader_view and "Place by hand" not in reader_view


def test_package_page_shows_a_provider_only_its_own_offer(page, users, offers, provider_org):
    services.accept_offer(offer_id=offers[provider_org.pk].pk, by=users["provider"])
    url = reverse("packages:detail", args=[offers["package"].pk])

    text = page(users["provider"]).get(url).content.decode()

    assert "Alpha Home Care" in text and "Beta Care Services" not in text
    assert "Place by hand" not in text


def test_package_page_offers_panel_queries_do_not_grow_with_offers(
    page, users, django_assert_max_num_queries
):
    zone, _ = market(AllocationMode.BROADCAST, framework=2)
    package = open_package(zone)
    services.advance_brokering(package_id=package.pk)
    client = page(users["broker"])
    url = reverse("packages:detail", args=[package.pk])
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    zone.contracts.create(provider=ProviderFactory(), role="framework")
    zone.contracts.create(provider=ProviderFactory(), role="framework")
    services.rebroker_package(package_id=package.pk, by=None)
    services.advance_brokering(package_id=package.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_broker_places_by_hand_from_the_page(page, users, offers, provider_org):
    package = offers["package"]
    url = reverse("brokering:package_assign", args=[package.pk])
    client = page(users["broker"])
    assert page(users["provider"]).post(url).status_code == 403
    assert page(users["commissioner"]).get(url).status_code == 403

    missing = client.post(url, {"provider": "PROV-A"})
    assert "Give the reason for placing this package by hand" in missing.content.decode()
    done = client.post(url, {"provider": "PROV-A", "reason": "Family asked"})

    assert done.status_code == 302
    package.refresh_from_db()
    assert (package.status, package.provider) == (PackageStatus.PLACED, provider_org)
    again = client.post(url, {"provider": "PROV-A", "reason": "Twice"}, follow=True)
    assert "only an open package can be brokered" in again.content.decode()


def test_broker_withdraws_and_rebrokers_from_the_page(page, users, offers):
    package = offers["package"]
    client = page(users["broker"])
    withdraw = reverse("brokering:package_withdraw", args=[package.pk])
    rebroker = reverse("brokering:package_rebroker", args=[package.pk])
    assert page(users["provider"]).post(withdraw).status_code == 403
    assert client.get(withdraw).status_code == 405

    assert client.post(withdraw).status_code == 302
    assert not Offer.objects.filter(status=OfferStatus.PENDING).exists()
    assert client.post(rebroker).status_code == 302
    package.refresh_from_db()
    assert package.brokering_round == 2


# A Thursday; the rota starts on that week's Monday, 17 March 2025, two weeks a period.
THURSDAY = datetime.datetime(2025, 3, 20, 9, 0, tzinfo=datetime.UTC)


def rota_zone_page(page, users, zone):
    html = page(users["broker"]).get(reverse("zones:detail", args=[zone.code])).content.decode()
    return " ".join(html.split())


@time_machine.travel(THURSDAY, tick=False)
def test_a_rota_zone_page_shows_this_periods_split_and_the_next_swap(page, users):
    zone, p = market(AllocationMode.ROTA, shares=(80, 20), rotation_weeks=2)
    first = rota_zone_page(page, users, zone)
    assert "The rota this period" in first and "none yet" in first

    for _ in range(5):
        services.advance_brokering(package_id=open_package(zone).pk)
    shown = rota_zone_page(page, users, zone)

    # Rounding half up: the 3rd of 5 went to the secondary, so 4 and 1 so far.
    primary = f'{p["primary"].name}</td> <td class="govuk-table__cell">Acting primary'
    assert primary in shown
    assert ">4</td>" in shown and ">80%</td>" in shown
    assert ">1</td>" in shown and ">20%</td>" in shown
    assert "Period from 17 Mar 2025 to 30 Mar 2025" in shown
    assert f"Next swap: Monday 31 Mar 2025</strong>. From then {p['secondary'].name}" in shown


def test_no_rota_panel_outside_a_rota(page, users):
    zone, _ = market(AllocationMode.CASCADE)
    assert "The rota this period" not in rota_zone_page(page, users, zone)
