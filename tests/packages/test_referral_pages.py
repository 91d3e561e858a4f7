"""Taking a referral on the phone, on the page: the call's details, a draft with only the
NHS number and name, and "check your answers" before submitting."""

import pytest

from packages.models import Package, PackageStatus, Person, ReferralInProgress
from tests.factories import BrokerFactory
from tests.packages.test_pages import referral_form

pytestmark = pytest.mark.django_db

CALL = {
    "phone": "01392 000111",
    "next_of_kin": "Jane Ashworth, daughter, 07700 900123",
    "access_notes": "Key safe by the back door, code 4321",
    "referrer_name": "Sam Patel",
    "referrer_organisation": "RD&E Ward A5",
    "referrer_phone": "01392 411611",
    "preferences": "Female carers",
    "goals": ["independence", "feel_safe"],
}
JUST_WHO = {
    "nhs_number": "943 476 5919",
    "given_name": "Ada",
    "family_name": "Ashworth",
    "action": "draft",
    "visits-TOTAL_FORMS": "1",
    "visits-INITIAL_FORMS": "0",
    "visits-MIN_NUM_FORMS": "1",
    "visits-MAX_NUM_FORMS": "1000",
    "postcode": "ex2 4qd",
}


def test_a_draft_saves_with_only_the_nhs_number_and_name(page, broker, zone):
    response = page(broker).post("/packages/new/", JUST_WHO)
    assert response.status_code == 302 and response["Location"] == "/packages/drafts/"
    held = ReferralInProgress.objects.get()
    assert (held.nhs_number, held.family_name, held.zone) == ("9434765919", "Ashworth", zone)
    assert not Package.objects.exists() and not Person.objects.exists()
    drafts = page(broker).get("/packages/drafts/").content.decode()
    assert "943 476 5919" in drafts and f"/packages/new/{held.pk}/" in drafts
    # Opened again, the answers are there as typed, and nothing is called an error yet.
    form = page(broker).get(f"/packages/new/{held.pk}/").content.decode()
    assert 'value="Ashworth"' in form and "There is a problem" not in form


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"nhs_number": "943 476 5918"}, "valid 10-digit NHS number"),
        ({"family_name": ""}, "Enter the family name"),
    ],
)
def test_a_draft_needs_a_valid_nhs_number_and_the_name(page, broker, zone, missing, message):
    response = page(broker).post("/packages/new/", JUST_WHO | missing)
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html and message in html
    assert "Enter the address" not in html  # the rest may wait
    assert not ReferralInProgress.objects.exists()


def test_continue_checks_every_rule_and_names_the_fields(page, broker, zone):
    held = ReferralInProgress.objects.create(
        answers={k: v if isinstance(v, list) else [v] for k, v in JUST_WHO.items()},
        nhs_number="9434765919",
        given_name="Ada",
        family_name="Ashworth",
        created_by=broker,
    )
    response = page(broker).post(f"/packages/new/{held.pk}/", JUST_WHO | {"action": "check"})
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html
    for message in ("Enter the address", "Choose where the referral comes from", "Enter the time"):
        assert message in html
    assert 'href="#id_address_line"' in html
    assert not Package.objects.exists()


def test_check_your_answers_then_submit(page, broker, zone):
    client = page(broker)
    response = client.post("/packages/new/", referral_form(action="check", **CALL))
    held = ReferralInProgress.objects.get()
    assert response["Location"] == f"/packages/new/{held.pk}/check/"
    check = client.get(response["Location"]).content.decode()
    assert "Check your answers before submitting the referral" in check
    for answer in ("943 476 5919", "code 4321", "RD&amp;E Ward A5", "Independence, Feeling safe"):
        assert answer in check
    for section in ("person", "contact", "referrer", "referral", "visits"):
        assert f'href="/packages/new/{held.pk}/#{section}"' in check
    assert not Package.objects.exists()

    response = client.post(f"/packages/new/{held.pk}/check/", {"action": "submit"})
    package = Package.objects.get()
    assert response["Location"] == f"/packages/{package.pk}/"
    assert package.status == PackageStatus.OPEN
    assert package.referrer == {
        "name": "Sam Patel",
        "organisation": "RD&E Ward A5",
        "phone": "01392 411611",
    }
    assert package.goals == ["independence", "feel_safe"]
    assert package.person.access_notes == CALL["access_notes"]
    assert not ReferralInProgress.objects.exists()
    page_html = client.get(f"/packages/{package.pk}/").content.decode()
    assert "code 4321" in page_html and "Sam Patel" in page_html


def test_a_change_link_leads_back_to_the_answers(page, broker, zone):
    client = page(broker)
    check = client.post("/packages/new/", referral_form(action="check"))["Location"]
    held = ReferralInProgress.objects.get()
    form = client.get(f"/packages/new/{held.pk}/").content.decode()
    assert 'value="1 Fore Street, Exeter"' in form and 'id="contact"' in form
    client.post(f"/packages/new/{held.pk}/", referral_form(action="check", family_name="Ash"))
    assert "Ada Ash<" in client.get(check).content.decode()


def test_another_brokers_referral_in_progress_is_404_outside_its_zone(page, zone, other_zone):
    north = BrokerFactory(username="north")
    north.zones.add(other_zone)
    mine = BrokerFactory(username="mine")
    page(mine).post("/packages/new/", JUST_WHO)
    held = ReferralInProgress.objects.get()
    assert page(north).get(f"/packages/new/{held.pk}/").status_code == 404
    assert page(north).get(f"/packages/new/{held.pk}/check/").status_code == 404
    assert "943 476 5919" not in page(north).get("/packages/drafts/").content.decode()
    assert page(BrokerFactory(username="all")).get(f"/packages/new/{held.pk}/").status_code == 200


def test_more_than_one_goal_can_be_chosen(page, broker, zone):
    html = page(broker).get("/packages/new/").content.decode()
    assert 'name="goals" type="checkbox" value="independence"' in html
    assert 'name="goals" type="radio"' not in html
