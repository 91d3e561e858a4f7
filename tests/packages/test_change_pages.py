"""The pages that change a package: edit a draft or an open package, change a placed one from
a date, and the history of its visits on its page."""

import datetime

import pytest

from brokering.models import OfferStatus
from notifications.models import Notification, NotificationKind
from packages import services
from packages.models import Package, PackageStatus
from tests.brokering.factories import OfferFactory
from tests.factories import (
    OpenPackageFactory,
    PackageFactory,
    PersonFactory,
    PlacedPackageFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 3, 12, 10, 0, tzinfo=datetime.UTC)
MORNING = {
    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "time": "08:00",
    "duration_minutes": "45",
    "carers": "1",
    "purpose": "personal_care",
}


@pytest.fixture(autouse=True)
def now(time_machine):
    time_machine.move_to(NOW, tick=False)


def visits_post(*visits, initial=1):
    data = {
        "visits-TOTAL_FORMS": str(len(visits)),
        "visits-INITIAL_FORMS": str(initial),
        "visits-MIN_NUM_FORMS": "1",
        "visits-MAX_NUM_FORMS": "50",
    }
    for n, visit in enumerate(visits):
        data |= {f"visits-{n}-{field}": value for field, value in visit.items()}
    return data


def date_post(name, day):
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def placed(zone, provider_org):
    return PlacedPackageFactory(
        zone=zone,
        person=PersonFactory(postcode="EX2 4QD"),
        provider=provider_org,
        start_date=datetime.date(2025, 3, 1),
    )


def test_the_change_page_starts_from_todays_visits(page, broker, zone, provider_org):
    package = placed(zone, provider_org)
    response = page(broker).get(f"/packages/{package.pk}/change/")
    assert response.status_code == 200
    (form,) = response.context["visit_formset"].forms
    assert form.initial["duration_minutes"] == 45


def test_a_change_after_one_still_to_come_starts_from_it(page, broker, zone, provider_org):
    package = placed(zone, provider_org)
    lunch = {"days": ["mon"], "time": datetime.time(12, 30), "duration_minutes": 30}
    services.change_package(
        by=broker,
        package_id=package.pk,
        effective_from=datetime.date(2025, 3, 17),
        visits=[
            {**MORNING, "time": datetime.time(8), "duration_minutes": 45, "carers": 1},
            {**lunch, "carers": 1, "purpose": "meal"},
        ],
        reason="A lunch call too",
    )
    response = page(broker).get(f"/packages/{package.pk}/change/")
    forms = response.context["visit_formset"].forms
    assert [form.initial["duration_minutes"] for form in forms] == [45, 30]
    assert "after the change already made" in response.content.decode()


def test_a_broker_changes_a_placed_package_from_next_monday(page, broker, zone, provider_user):
    package = placed(zone, provider_user.provider)
    data = {
        **date_post("change-effective_from", datetime.date(2025, 3, 17)),
        "change-reason": "Review: an evening call too",
        **visits_post(MORNING, {**MORNING, "time": "19:00", "duration_minutes": "30"}),
    }
    response = page(broker).post(f"/packages/{package.pk}/change/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert response.url == f"/packages/{package.pk}/#versions"
    change = package.versions.get(number=2)
    assert (change.effective_from, change.weekly_hours) == (datetime.date(2025, 3, 17), 8.75)
    assert Notification.objects.filter(kind=NotificationKind.PACKAGE_CHANGED).count() == 1

    # The provider sees what changes, and from when.
    seen = page(provider_user).get(f"/packages/{package.pk}/")
    assert seen.status_code == 200
    text = seen.content.decode()
    assert "Visits over time" in text and "17 Mar 2025" in text and "Coming" in text
    assert "Every day at 19:00, 30 minutes, 1 carer: personal care" in text
    assert "Review: an evening call too" in text


def test_the_change_page_says_what_is_wrong(page, broker, zone, provider_org):
    package = placed(zone, provider_org)
    data = {
        **date_post("change-effective_from", datetime.date(2025, 6, 1)),
        "change-reason": "",
        **visits_post(MORNING),
    }
    response = page(broker).post(f"/packages/{package.pk}/change/", data)
    assert response.status_code == 200
    messages = [entry["message"] for entry in response.context["errors"]]
    assert "Say why the visits change" in messages
    assert package.versions.count() == 1


def test_an_effective_date_out_of_range_is_shown_at_its_field(page, broker, zone, provider_org):
    package = placed(zone, provider_org)
    data = {
        **date_post("change-effective_from", datetime.date(2025, 6, 1)),
        "change-reason": "Later",
        **visits_post(MORNING),
    }
    response = page(broker).post(f"/packages/{package.pk}/change/", data)
    assert response.status_code == 200
    assert "28 days ahead" in " ".join(response.context["change_form"].errors["effective_from"])


def test_only_a_placed_package_has_a_change_page(page, broker, zone):
    package = OpenPackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    response = page(broker).get(f"/packages/{package.pk}/change/")
    assert response.status_code == 302 and response.url == f"/packages/{package.pk}/"


@pytest.mark.parametrize("path", ["change", "edit"])
def test_a_provider_may_not_change_a_package(page, provider_user, zone, path):
    package = placed(zone, provider_user.provider)
    assert page(provider_user).get(f"/packages/{package.pk}/{path}/").status_code == 403


def test_editing_an_open_package_sends_its_offers_again(page, broker, zone, provider_org):
    package = OpenPackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    offer = OfferFactory(package=package, provider=provider_org)
    client = page(broker)
    form = client.get(f"/packages/{package.pk}/edit/").context["referral_form"]
    assert set(form.fields) == {"priority", "start_date", "needs"}
    data = {
        "priority": "urgent",
        **date_post("start_date", package.start_date),
        "needs": "",
        **visits_post({**MORNING, "duration_minutes": "60"}),
    }
    response = client.post(f"/packages/{package.pk}/edit/", data)
    assert response.status_code == 302
    package.refresh_from_db()
    assert (package.priority, package.weekly_hours, package.brokering_round) == ("urgent", 7, 2)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN


def test_saving_an_unchanged_open_package_starts_no_new_round(page, broker, zone):
    package = OpenPackageFactory(zone=zone, person=PersonFactory(postcode="EX2 4QD"))
    data = {
        "priority": "standard",
        **date_post("start_date", package.start_date),
        "needs": "",
        **visits_post(MORNING),
    }
    response = page(broker).post(f"/packages/{package.pk}/edit/", data)
    assert response.status_code == 302
    assert Package.objects.get().brokering_round == 1


def test_editing_a_draft_changes_its_person_and_referral(page, broker, zone):
    person = PersonFactory(postcode="EX2 4QD", given_name="Ada", family_name="Ashworth")
    package = PackageFactory(zone=zone, person=person, source="community")
    data = {
        "nhs_number": person.nhs_number,
        "given_name": "Adah",
        "family_name": "Ashworth",
        **date_post("date_of_birth", person.date_of_birth),
        "address_line": person.address_line,
        "postcode": "EX2 4QD",
        "source": "community",
        "priority": "standard",
        **date_post("start_date", package.start_date),
        "needs": "",
        **visits_post(MORNING),
    }
    response = page(broker).post(f"/packages/{package.pk}/edit/", data)
    assert response.status_code == 302, response.context["errors"]
    package.refresh_from_db()
    assert package.person.given_name == "Adah"
    assert package.status == PackageStatus.DRAFT


def test_a_placed_package_has_no_edit_page(page, broker, zone, provider_org):
    package = placed(zone, provider_org)
    response = page(broker).get(f"/packages/{package.pk}/edit/")
    assert response.status_code == 302
