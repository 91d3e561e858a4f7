"""Hand-back with notice: the provider keeps the package until its `last_day` while
brokering finds the next one at once; visits are recorded only inside a provider's own
placement; with nobody to follow, the package is open the day after the last day."""

import datetime

import pytest

from brokerage.celery import app as celery_app
from brokering.models import Offer, OfferStatus
from brokering.services import accept_offer, advance_brokering, stalled_packages
from notifications.models import Notification
from packages import services
from packages.models import PackageStatus
from tests import factories
from tests.brokering.factories import market, open_package
from zones.models import AllocationMode

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
TODAY = MONDAY.date()
LAST_DAY = TODAY + datetime.timedelta(days=7)


@pytest.fixture(autouse=True)
def _eager_tasks():
    """Brokering's task runs inline once the hand-back commits."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def now(time_machine):
    time_machine.move_to(MONDAY, tick=False)
    return time_machine


@pytest.fixture
def placed(now):
    """A broadcast zone's package placed with its primary (who will hand it back)."""
    zone, providers = market(AllocationMode.BROADCAST)
    package = open_package(zone, start_date=TODAY - datetime.timedelta(days=14))
    offers = {o.provider: o for o in advance_brokering(package_id=package.pk)}
    accept_offer(offer_id=offers[providers["primary"]].pk, by=None)
    users = {
        role: factories.ProviderUserFactory(provider=providers[role])
        for role in ("primary", "secondary")
    }
    broker = factories.BrokerFactory()
    return {"package": package, "providers": providers, "users": users, "broker": broker}


def _hand_back(api, user, package, **body):
    return api(user).post(
        f"/api/v1/packages/{package.pk}/hand-back/", {"reason": "No carers", **body}, format="json"
    )


def _visit(api, user, package, day):
    body = {
        "package": package.pk,
        "date": day.isoformat(),
        "actual_start": "08:00",
        "actual_end": "08:45",
        "carers": 1,
    }
    return api(user).post("/api/v1/visits/", body, format="json")


def test_with_notice_the_package_stays_with_its_provider_and_brokering_starts(
    api, placed, django_capture_on_commit_callbacks
):
    package, providers = placed["package"], placed["providers"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _hand_back(api, placed["users"]["primary"], package, last_day=str(LAST_DAY))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "placed" and body["provider"] == providers["primary"].code
    assert body["handed_back_until"] == LAST_DAY.isoformat()
    assert body["placements"] == [
        {"provider": providers["primary"].code, "from": "2026-02-16", "until": "2026-03-09"}
    ]
    pending = Offer.objects.filter(package=package, status=OfferStatus.PENDING)
    assert [o.provider for o in pending] == [providers["secondary"]]
    assert {o.round for o in pending} == {2}


def test_brokers_are_told_of_a_hand_back_once(api, placed):
    _hand_back(api, placed["users"]["primary"], placed["package"], last_day=str(LAST_DAY))
    (told,) = Notification.objects.filter(kind="handed_back")
    assert told.recipient == placed["broker"] and told.package_id == placed["package"].pk
    assert "last day with them is 9 Mar 2026" in told.message


def test_a_hand_back_at_once_tells_the_brokers_too(api, placed):
    response = _hand_back(api, placed["users"]["primary"], placed["package"])
    assert response.json()["status"] == "open"
    assert Notification.objects.filter(kind="handed_back", recipient=placed["broker"]).exists()


@pytest.mark.parametrize("days", [-1, 29])
def test_the_last_day_lies_between_today_and_28_days_ahead(api, placed, days):
    day = TODAY + datetime.timedelta(days=days)
    response = _hand_back(api, placed["users"]["primary"], placed["package"], last_day=str(day))
    assert response.status_code == 400 and "last_day" in response.json()
    placed["package"].refresh_from_db()
    assert placed["package"].handed_back_until is None


def test_handing_back_twice_conflicts(api, placed):
    user = placed["users"]["primary"]
    _hand_back(api, user, placed["package"], last_day=str(LAST_DAY))
    assert _hand_back(api, user, placed["package"], last_day=str(TODAY)).status_code == 409


def test_the_next_provider_takes_over_the_day_after_the_last_day(
    api, placed, now, django_capture_on_commit_callbacks
):
    package, providers, users = placed["package"], placed["providers"], placed["users"]
    with django_capture_on_commit_callbacks(execute=True):
        _hand_back(api, users["primary"], package, last_day=str(LAST_DAY))
    offer = Offer.objects.get(package=package, status=OfferStatus.PENDING)
    assert api(users["secondary"]).post(f"/api/v1/offers/{offer.pk}/accept/").status_code == 200

    package.refresh_from_db()
    assert package.status == PackageStatus.PLACED and package.provider == providers["primary"]
    assert package.next_provider == providers["secondary"]
    assert package.pk not in stalled_packages()
    shown = api(placed["broker"]).get(f"/api/v1/packages/{package.pk}/").json()
    assert shown["placements"] == [
        {"provider": providers["primary"].code, "from": "2026-02-16", "until": "2026-03-09"},
        {"provider": providers["secondary"].code, "from": "2026-03-10", "until": None},
    ]
    # Not yet the next provider's to see, nor to record for.
    assert api(users["secondary"]).get(f"/api/v1/packages/{package.pk}/").status_code == 404

    now.move_to(MONDAY + datetime.timedelta(days=7), tick=False)
    assert services.end_notices() == {"taken_over": 0, "reopened": 0}
    now.move_to(MONDAY + datetime.timedelta(days=8), tick=False)
    assert services.end_notices() == {"taken_over": 1, "reopened": 0}
    assert services.end_notices() == {"taken_over": 0, "reopened": 0}

    package.refresh_from_db()
    assert package.provider == providers["secondary"] and package.next_provider is None
    assert package.handed_back_until is None
    day_after = LAST_DAY + datetime.timedelta(days=1)
    refused = _visit(api, users["primary"], package, day_after)
    assert refused.status_code == 400 and "date" in refused.json()
    assert _visit(api, users["secondary"], package, day_after).status_code == 201
    # The old provider still records the days it cared for.
    assert _visit(api, users["primary"], package, LAST_DAY).status_code == 201
    assert _visit(api, users["secondary"], package, LAST_DAY).status_code == 400


def test_with_nobody_to_follow_the_package_is_open_the_day_after(api, placed, now):
    package, users = placed["package"], placed["users"]
    _hand_back(api, users["primary"], package, last_day=str(LAST_DAY))
    assert _visit(api, users["primary"], package, TODAY).status_code == 201

    now.move_to(MONDAY + datetime.timedelta(days=8), tick=False)
    assert services.end_notices() == {"taken_over": 0, "reopened": 1}

    package.refresh_from_db()
    assert package.status == PackageStatus.OPEN and package.provider is None
    assert package.handed_back_until is None
    refused = _visit(api, users["primary"], package, LAST_DAY + datetime.timedelta(days=1))
    assert refused.status_code == 400


def test_ending_a_package_under_notice_stops_brokering(
    api, placed, django_capture_on_commit_callbacks
):
    package = placed["package"]
    with django_capture_on_commit_callbacks(execute=True):
        _hand_back(api, placed["users"]["primary"], package, last_day=str(LAST_DAY))
    services.end_package(package_id=package.pk, by=placed["broker"])
    package.refresh_from_db()
    assert package.status == PackageStatus.ENDED and package.handed_back_until is None
    assert not Offer.objects.filter(package=package, status=OfferStatus.PENDING).exists()


def test_a_provider_hands_back_with_notice_on_the_package_page(page, placed):
    package, user = placed["package"], placed["users"]["primary"]
    response = page(user).post(
        f"/packages/{package.pk}/hand-back/",
        {
            "hand_back-reason": "Carers leaving the area",
            "hand_back-last_day_0": LAST_DAY.day,
            "hand_back-last_day_1": LAST_DAY.month,
            "hand_back-last_day_2": LAST_DAY.year,
        },
        follow=True,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "you care for it until 9 Mar 2026" in body
    assert "last day 9 Mar 2026" in body  # dates shown as govuk_date writes them
    assert "Hand this package back" not in body  # once is enough
    package.refresh_from_db()
    assert package.handed_back_until == LAST_DAY


def test_a_last_day_too_far_ahead_is_shown_as_an_error(page, placed):
    package, user = placed["package"], placed["users"]["primary"]
    too_far = TODAY + datetime.timedelta(days=40)
    response = page(user).post(
        f"/packages/{package.pk}/hand-back/",
        {
            "hand_back-reason": "Closing",
            "hand_back-last_day_0": too_far.day,
            "hand_back-last_day_1": too_far.month,
            "hand_back-last_day_2": too_far.year,
        },
    )
    assert response.status_code == 400
    assert "today to 28 days ahead" in response.content.decode()
    package.refresh_from_db()
    assert package.handed_back_until is None and not package.hand_backs.exists()


def test_the_worklist_marks_hand_backs_with_their_last_day(page, placed, api):
    package = placed["package"]
    _hand_back(api, placed["users"]["primary"], package, last_day=str(LAST_DAY))
    handed_now = factories.PlacedPackageFactory(zone=package.zone)
    services.hand_back_package(package_id=handed_now.pk, by=None, reason="Closing")

    body = page(placed["broker"]).get("/packages/worklist/").content.decode()
    notices = body[body.index("Handed back with notice") :]
    assert f"Package {package.pk}<" in notices and "last day 9 Mar 2026" in notices
    rows = body[body.index('id="worklist"') : body.index("Handed back with notice")]
    assert f"Package {handed_now.pk}<" in rows and "Handed back" in rows
