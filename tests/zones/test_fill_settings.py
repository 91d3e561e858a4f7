"""The zone's v1.1 brokering settings through the API and the zone pages: neighbours, re-tries,
the urgent wave, offer hours and fill targets, each with a 400 naming its field."""

import datetime

import pytest
from django.utils import timezone

from providers.models import Contract
from tests.factories import ProviderFactory, ZoneFactory
from zones.models import Zone

pytestmark = pytest.mark.django_db

ZONES = "/api/v1/zones/"


def new_zone(**changes):
    return {"code": "EAST", "name": "East", "postcode_districts": ["EX8"], **changes}


@pytest.fixture
def zones(db):
    return [ZoneFactory(code=code, districts=[f"EX{n}"]) for n, code in enumerate("ABC", 1)]


def test_a_zone_takes_every_setting_and_answers_it(api, users, zones):
    body = new_zone(
        neighbours=["C", "A"],
        retry_minutes=15,
        urgent_wave=3,
        offer_hours={"start": "07:00", "end": "21:00"},
        fill_target_minutes={"urgent": 60, "standard": 180},
    )
    response = api(users["commissioner"]).post(ZONES, body, format="json")
    assert response.status_code == 201, response.json()
    answered = api(users["broker"]).get(f"{ZONES}EAST/").json()
    for field in ("neighbours", "retry_minutes", "urgent_wave", "offer_hours"):
        assert answered[field] == body[field]
    assert answered["fill_target_minutes"] == {"urgent": 60, "standard": 180}


def test_patch_changes_one_setting_and_keeps_the_rest(api, users, zones):
    client = api(users["commissioner"])
    client.patch(f"{ZONES}A/", {"neighbours": ["B", "C"], "urgent_wave": 2}, format="json")
    response = client.patch(
        f"{ZONES}A/",
        {"neighbours": ["C", "B"], "fill_target_minutes": {"urgent": 30}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["neighbours"] == ["C", "B"]  # the order given is the order asked
    assert data["urgent_wave"] == 2
    assert data["fill_target_minutes"] == {"urgent": 30, "standard": 240}
    cleared = client.patch(f"{ZONES}A/", {"neighbours": [], "offer_hours": None}, format="json")
    assert cleared.json()["neighbours"] == [] and cleared.json()["offer_hours"] is None


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"neighbours": ["NOPE"]}, "neighbours", "no zone NOPE"),
        ({"neighbours": ["B", "A"]}, "neighbours", "its own neighbour"),
        ({"offer_hours": {"start": "21:00", "end": "07:00"}}, "offer_hours", "after the start"),
        ({"offer_hours": {"start": "09:00", "end": "09:00"}}, "offer_hours", "after the start"),
        ({"offer_hours": {"start": "7am", "end": "21:00"}}, "offer_hours", ""),
        ({"retry_minutes": 4}, "retry_minutes", ""),
        ({"urgent_wave": 0}, "urgent_wave", ""),
        ({"fill_target_minutes": {"urgent": 0}}, "fill_target_minutes", ""),
        ({"neighbours": "B"}, "neighbours", ""),
    ],
)
def test_bad_settings_are_400_naming_the_field_and_change_nothing(
    api, users, zones, changes, field, words
):
    before = api(users["commissioner"]).get(f"{ZONES}A/").json()
    response = api(users["commissioner"]).patch(f"{ZONES}A/", changes, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert words in str(response.json()[field])
    assert api(users["commissioner"]).get(f"{ZONES}A/").json() == before


def test_a_new_zone_naming_itself_or_an_unknown_neighbour_is_not_created(api, users, zones):
    client = api(users["commissioner"])
    assert client.post(ZONES, new_zone(neighbours=["EAST"]), format="json").status_code == 400
    assert client.post(ZONES, new_zone(neighbours=["Z9"]), format="json").status_code == 400
    assert not Zone.objects.filter(code="EAST").exists()


def test_offer_window_counts_only_minutes_inside_offer_hours():
    zone = ZoneFactory(
        offer_window_minutes=60,
        offer_hours_start=datetime.time(7),
        offer_hours_end=datetime.time(21),
    )
    uk = timezone.get_current_timezone()

    def expiry(*sent):
        sent_at = datetime.datetime(*sent, tzinfo=uk)
        return zone.offer_expires_at(sent_at, urgent=False).astimezone(uk).replace(tzinfo=None)

    assert expiry(2025, 3, 4, 20, 30) == datetime.datetime(2025, 3, 5, 7, 30)
    assert expiry(2025, 3, 4, 12, 0) == datetime.datetime(2025, 3, 4, 13, 0)
    assert expiry(2025, 3, 4, 3, 0) == datetime.datetime(2025, 3, 4, 8, 0)  # sent at night
    assert expiry(2025, 3, 4, 23, 0) == datetime.datetime(2025, 3, 5, 8, 0)
    # Through the spring clock change: still 30 minutes that evening and 30 the next morning.
    assert expiry(2025, 3, 29, 20, 30) == datetime.datetime(2025, 3, 30, 7, 30)


def test_a_reserve_contract_is_a_role_like_the_others(api, users, zones):
    provider = ProviderFactory(code="TIER3")
    body = {"zone": "A", "provider": "TIER3", "role": "reserve"}
    response = api(users["commissioner"]).post("/api/v1/contracts/", body, format="json")
    assert response.status_code == 201, response.json()
    assert Contract.objects.get(provider=provider).role == "reserve"


# --- the zone pages -------------------------------------------------------------


def zone_page_form(**changes):
    return {
        "code": "EAST",
        "name": "East Devon",
        "postcode_districts": "EX8",
        "allocation_mode": "cascade",
        "offer_window_minutes": "60",
        "urgent_offer_window_minutes": "30",
        "rotation_weeks": "2",
        "neighbours": "C, A",
        "retry_minutes": "20",
        "urgent_wave": "2",
        "offer_hours_start": "07:00",
        "offer_hours_end": "21:00",
        "fill_target_urgent_minutes": "60",
        "fill_target_standard_minutes": "200",
        **changes,
    }


def test_the_zone_form_sets_every_setting_and_the_page_shows_them(client, users, zones):
    client.force_login(users["commissioner"])
    response = client.post("/zones/new/", zone_page_form())
    assert response.status_code == 302
    zone = Zone.objects.get(code="EAST")
    assert zone.neighbour_codes == ["C", "A"]
    assert (zone.retry_minutes, zone.urgent_wave) == (20, 2)
    assert zone.offer_hours == {"start": datetime.time(7), "end": datetime.time(21)}
    assert zone.fill_targets == {"urgent": 60, "standard": 200}
    page = client.get("/zones/EAST/").content.decode()
    assert "07:00 to 21:00" in page and "every 20 minutes" in page
    edit = client.get("/zones/EAST/edit/").content.decode()
    assert 'value="C, A"' in edit


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"neighbours": "C, NOPE"}, "neighbours", "There is no zone NOPE"),
        ({"neighbours": "EAST"}, "neighbours", "its own neighbour"),
        ({"offer_hours_end": "06:00"}, "offer_hours_end", "must be after the start"),
        ({"offer_hours_end": ""}, "offer_hours_end", "Give both a start and an end"),
        ({"retry_minutes": "3"}, "retry_minutes", "5 or more"),
    ],
)
def test_zone_form_errors_show_at_their_field(client, users, zones, changes, field, words):
    client.force_login(users["commissioner"])
    response = client.post("/zones/new/", zone_page_form(**changes))
    assert response.status_code == 200
    assert words in " ".join(response.context["form"].errors[field])
    assert "govuk-error-summary" in response.content.decode()
    assert not Zone.objects.filter(code="EAST").exists()
