"""Free text kept safe: `needs` reaches providers before placement, so it may not identify anyone.

The audit found "Mary ... (NHS 999 000 0069), 9 Quiet Close EX2 7AA, key safe
1234" in `needs` reaching every provider offered the package.
"""

import datetime
import html

import pytest

from brokering.selectors import offer_summary
from packages.free_text import WHAT_NOT_TO_WRITE, identifiers_in
from packages.models import Package
from tests.brokering.factories import OfferFactory
from tests.factories import OpenPackageFactory, PersonFactory
from tests.packages.test_pages import referral_form

URL = "/api/v1/packages/"
MARY = {
    "nhs_number": "9990000069",
    "given_name": "Mary",
    "family_name": "Pemberton",
    "date_of_birth": datetime.date(1944, 3, 2),
    "address_line": "9 Quiet Close, Exeter",
    "postcode": "EX2 7AA",
}


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Mary needs help to wash", ["given name"]),
        ("Mrs PEMBERTON prefers female carers", ["family name"]),
        ("NHS 999 000 0069", ["NHS number"]),
        ("ref 999-000-0069", ["NHS number"]),
        ("her husband's number 943 476 5919", ["NHS number"]),  # Anyone's NHS number.
        ("born 2/3/1944", ["date of birth"]),
        ("born 02/03/1944, frail", ["date of birth"]),
        ("DOB 1944-03-02", ["date of birth"]),
        ("born 2 March 1944", ["date of birth"]),
        ("lives at 9 Quiet Close", ["address"]),
        ("end house on quiet close", ["address"]),
        ("near EX2 7AA", ["postcode"]),
        ("near ex27aa", ["postcode"]),
        ("any full postcode, such as TQ1 2AB", ["postcode"]),
        ("key safe 1234", ["key safe code"]),
        ("Keysafe code is 4321", ["key safe code"]),
        (
            "Mary Pemberton (NHS 999 000 0069), 9 Quiet Close EX2 7AA, key safe 1234",
            ["given name", "family name", "NHS number", "address", "postcode", "key safe code"],
        ),
    ],
)
def test_identifiers_are_found_in_free_text(text, found):
    assert identifiers_in(text, MARY) == found


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Double-handed transfers with a hoist; dementia, prefers female carers.",
        "Lives in EX2, on a bus route.",  # A district is what an offer already shows.
        "Medication prompt at 08:00 and 12:30; visits 30 minutes.",
        "Marymount Road team knows her",  # A name inside another word is not the name.
        "Key safe in place: the code is in the access notes.",
        "Started 1944 pension; 12 steps to the door",
    ],
)
def test_care_described_without_identity_passes(text):
    assert identifiers_in(text, MARY) == []


@pytest.mark.django_db
def test_the_api_refuses_needs_that_identify_the_person(api, broker, referral):
    referral["needs"] = "Ada (NHS 943 476 5919), 1 Fore Street, EX2 4QD, key safe 1234"
    response = api(broker).post(URL, referral, format="json")
    assert response.status_code == 400
    message = response.json()["needs"][0]
    assert message.startswith(
        "Take out the given name, NHS number, address, postcode and key safe code"
    )
    assert "providers read this before the package is placed" in message
    assert not Package.objects.exists()
    referral["needs"] = "Double-handed transfers; prefers female carers"
    assert api(broker).post(URL, referral, format="json").status_code == 201


@pytest.mark.django_db
def test_the_page_says_what_not_to_write_and_asks_to_rephrase(page, broker, zone):
    client = page(broker)
    assert html.escape(WHAT_NOT_TO_WRITE) in client.get("/packages/new/").content.decode()
    response = client.post(
        "/packages/new/", referral_form(action="check", needs="Ada needs help, EX2 4QD")
    )
    shown = response.content.decode()
    assert "Take out the given name and postcode" in shown
    assert 'href="#id_needs"' in shown
    assert not Package.objects.exists()


@pytest.mark.django_db
def test_an_offer_withholds_needs_saved_before_the_check(zone):
    person = PersonFactory(**MARY)
    package = OpenPackageFactory(person=person, zone=zone, needs="Mary, key safe 1234")
    assert offer_summary(OfferFactory(package=package))["needs"] == ""
    package = OpenPackageFactory(zone=zone, needs="Hoist; two carers")
    assert offer_summary(OfferFactory(package=package))["needs"] == "Hoist; two carers"
