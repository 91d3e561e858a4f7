import pytest

from tests.factories import ContractFactory, ZoneFactory
from zones.models import PostcodeDistrict, Zone

pytestmark = pytest.mark.django_db

ZONES = "/api/v1/zones/"
READERS = ["admin", "broker", "commissioner", "finance", "provider"]
MANAGERS = ["admin", "commissioner"]
NOT_MANAGERS = ["broker", "finance", "provider"]


def new_zone(**changes):
    body = {
        "code": "EXETER",
        "name": "Exeter",
        "postcode_districts": ["ex1", " EX2 ", "EX4"],
        "allocation_mode": "rota",
        "offer_window_minutes": 120,
        "rotation_weeks": 2,
    }
    return {**body, **changes}


@pytest.fixture
def exeter(db):
    return ZoneFactory(code="EXETER", name="Exeter", districts=["EX1", "EX2"])


# --- role matrix --------------------------------------------------------------


def test_anonymous_gets_401_everywhere(api, exeter):
    client = api()
    assert client.get(ZONES).status_code == 401
    assert client.post(ZONES, new_zone(code="X"), format="json").status_code == 401
    assert client.get(f"{ZONES}EXETER/").status_code == 401
    assert client.patch(f"{ZONES}EXETER/", {"name": "X"}, format="json").status_code == 401
    assert client.get(f"{ZONES}lookup/?postcode=EX1 1AA").status_code == 401


@pytest.mark.parametrize("role", READERS)
def test_every_role_reads_zones(api, users, exeter, role):
    client = api(users[role])
    listing = client.get(ZONES)
    assert listing.status_code == 200
    assert [z["code"] for z in listing.json()["results"]] == ["EXETER"]
    assert client.get(f"{ZONES}EXETER/").status_code == 200
    assert client.get(f"{ZONES}lookup/", {"postcode": "ex1 1aa"}).status_code == 200


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_other_roles_may_not_shape_zones(api, users, exeter, role):
    client = api(users[role])
    assert (
        client.post(
            ZONES, new_zone(code="NEW", postcode_districts=["EX9"]), format="json"
        ).status_code
        == 403
    )
    assert client.patch(f"{ZONES}EXETER/", {"name": "X"}, format="json").status_code == 403
    assert not Zone.objects.filter(code="NEW").exists()


@pytest.mark.parametrize("role", MANAGERS)
def test_commissioner_and_admin_create_a_zone(api, users, role):
    response = api(users[role]).post(ZONES, new_zone(), format="json")
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "code": "EXETER",
        "name": "Exeter",
        "postcode_districts": ["EX1", "EX2", "EX4"],
        "allocation_mode": "rota",
        "offer_window_minutes": 120,
        "urgent_offer_window_minutes": 30,
        "rotation_weeks": 2,
        "neighbours": [],
        "retry_minutes": 60,
        "urgent_wave": 1,
        "offer_hours": None,
        "fill_target_minutes": {"urgent": 90, "standard": 240},
        "review_after_days": 42,
    }


def test_unknown_zone_is_404(api, users):
    assert api(users["commissioner"]).get(f"{ZONES}NOPE/").status_code == 404


def test_put_and_delete_are_not_allowed(api, users, exeter):
    client = api(users["admin"])
    assert client.put(f"{ZONES}EXETER/", new_zone(), format="json").status_code == 405
    assert client.delete(f"{ZONES}EXETER/").status_code == 405


# --- validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "has space"}, "code"),
        ({"code": "lookup"}, "code"),
        ({"name": ""}, "name"),
        ({"postcode_districts": []}, "postcode_districts"),
        ({"postcode_districts": ["EX1", "EX2 4QD"]}, "postcode_districts"),
        ({"postcode_districts": ["NOTADISTRICT"]}, "postcode_districts"),
        ({"postcode_districts": "EX1"}, "postcode_districts"),
        ({"allocation_mode": "lottery"}, "allocation_mode"),
        ({"offer_window_minutes": 0}, "offer_window_minutes"),
        ({"offer_window_minutes": "soon"}, "offer_window_minutes"),
        ({"offer_window_minutes": 10**12}, "offer_window_minutes"),
        ({"urgent_offer_window_minutes": 0}, "urgent_offer_window_minutes"),
        ({"rotation_weeks": 0}, "rotation_weeks"),
        ({"rotation_weeks": -2}, "rotation_weeks"),
    ],
)
def test_bad_zone_is_400_naming_the_field(api, users, changes, field):
    response = api(users["commissioner"]).post(ZONES, new_zone(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Zone.objects.exists()


@pytest.mark.parametrize("item", [None, ["EX1"], {"district": "EX1"}, "EX" * 10])
def test_a_bad_district_item_is_a_list_of_messages_naming_the_item(api, users, item):
    # DRF's own shape for a list item is {"1": [...]}: the contract's is a list of messages.
    response = api(users["commissioner"]).post(
        ZONES, new_zone(postcode_districts=["EX1", item]), format="json"
    )
    assert response.status_code == 400
    messages = response.json()["postcode_districts"]
    assert isinstance(messages, list)
    assert all(isinstance(message, str) for message in messages)
    assert messages[0].startswith("Item 2: ")


def test_a_district_belongs_to_one_zone_only(api, users, exeter):
    response = api(users["commissioner"]).post(
        ZONES, new_zone(code="EAST", postcode_districts=["EX8", "ex2"]), format="json"
    )
    assert response.status_code == 400
    assert "EX2 is already in zone Exeter (EXETER)" in response.json()["postcode_districts"][0]
    # Nothing half-saved: neither the zone nor its free district.
    assert not Zone.objects.filter(code="EAST").exists()
    assert not PostcodeDistrict.objects.filter(district="EX8").exists()


def test_a_duplicate_code_is_400(api, users, exeter):
    response = api(users["commissioner"]).post(
        ZONES, new_zone(postcode_districts=["EX9"]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == ["A zone with this code already exists."]


def test_repeated_districts_are_kept_once(api, users):
    response = api(users["commissioner"]).post(
        ZONES, new_zone(postcode_districts=["EX1", "ex1", "EX 1"]), format="json"
    )
    assert response.status_code == 201
    assert response.json()["postcode_districts"] == ["EX1"]


# --- PATCH ----------------------------------------------------------------------


def test_patch_replaces_districts_and_settings(api, users, exeter):
    response = api(users["commissioner"]).patch(
        f"{ZONES}EXETER/",
        {"postcode_districts": ["EX2", "EX10", "EX3"], "offer_window_minutes": 60},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["postcode_districts"] == ["EX2", "EX3", "EX10"]
    assert response.json()["offer_window_minutes"] == 60
    assert sorted(PostcodeDistrict.objects.values_list("district", flat=True)) == [
        "EX10",
        "EX2",
        "EX3",
    ]


def test_patch_may_not_take_another_zones_district(api, users, exeter):
    ZoneFactory(code="EAST", districts=["EX8"])
    response = api(users["commissioner"]).patch(
        f"{ZONES}EXETER/", {"postcode_districts": ["EX1", "EX8"], "name": "Renamed"}, format="json"
    )
    assert response.status_code == 400
    assert "postcode_districts" in response.json()
    exeter.refresh_from_db()
    assert exeter.name == "Exeter"  # nothing half-saved
    assert sorted(d.district for d in exeter.districts.all()) == ["EX1", "EX2"]


def test_patch_may_not_change_the_code(api, users, exeter):
    response = api(users["commissioner"]).patch(f"{ZONES}EXETER/", {"code": "EXE"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()


def test_patch_to_rota_checks_the_shares(api, users, exeter):
    ContractFactory(zone=exeter, role="primary", share_percent=80)
    ContractFactory(zone=exeter, role="secondary", share_percent=40)
    response = api(users["commissioner"]).patch(
        f"{ZONES}EXETER/", {"allocation_mode": "rota"}, format="json"
    )
    assert response.status_code == 400
    assert "120%" in response.json()["allocation_mode"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"offer_window_minutes": 0}, "offer_window_minutes"),
        ({"rotation_weeks": 0}, "rotation_weeks"),
        ({"allocation_mode": "random"}, "allocation_mode"),
        ({"postcode_districts": []}, "postcode_districts"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_patch_is_400_naming_the_field(api, users, exeter, body, field):
    response = api(users["admin"]).patch(f"{ZONES}EXETER/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_list_filters(api, users, exeter):
    ZoneFactory(code="EAST", name="East Devon", districts=["EX8"], allocation_mode="broadcast")
    client = api(users["broker"])
    assert [
        z["code"] for z in client.get(ZONES, {"allocation_mode": "broadcast"}).json()["results"]
    ] == ["EAST"]
    assert [z["code"] for z in client.get(ZONES, {"district": "ex8"}).json()["results"]] == ["EAST"]
    assert [z["code"] for z in client.get(ZONES, {"q": "exeter"}).json()["results"]] == ["EXETER"]


def test_page_size_up_to_500_is_honoured(api, users):
    for n in range(60):
        ZoneFactory(code=f"Z{n:03d}", districts=[f"AB{n + 1}"])
    body = api(users["broker"]).get(ZONES, {"page_size": 500}).json()
    assert body["count"] == 60
    assert len(body["results"]) == 60
    assert body["next"] is None


def test_list_query_count_does_not_grow_with_zones(api, users, django_assert_max_num_queries):
    client = api(users["broker"])
    for n in range(3):
        ZoneFactory(code=f"A{n}", districts=[f"AB{n + 1}", f"AL{n + 1}"])
    with django_assert_max_num_queries(6) as few:
        client.get(ZONES)
    for n in range(3, 30):
        ZoneFactory(code=f"A{n}", districts=[f"AB{n + 1}", f"AL{n + 1}"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(ZONES).json()["count"] == 30


# --- lookup ---------------------------------------------------------------------


@pytest.mark.parametrize("postcode", ["EX2 4QD", "ex24qd", "  ex2   4QD "])
def test_lookup_normalises_and_answers_the_zone(api, users, exeter, postcode):
    response = api(users["provider"]).get(f"{ZONES}lookup/", {"postcode": postcode})
    assert response.status_code == 200
    assert response.json()["code"] == "EXETER"
    assert response.json()["postcode_districts"] == ["EX1", "EX2"]


def test_lookup_of_an_uncovered_postcode_is_404_with_a_message(api, users, exeter):
    response = api(users["broker"]).get(f"{ZONES}lookup/", {"postcode": "tq1 1aa"})
    assert response.status_code == 404
    assert response.json()["detail"] == "No zone covers TQ1 1AA: its district TQ1 is in no zone."


@pytest.mark.parametrize("postcode", ["", "EX2", "not a postcode", "EX2 4QDX"])
def test_lookup_of_a_malformed_postcode_is_400(api, users, exeter, postcode):
    response = api(users["broker"]).get(f"{ZONES}lookup/", {"postcode": postcode})
    assert response.status_code == 400
    assert "postcode" in response.json()


def test_lookup_reads_a_space_as_the_start_of_the_inward_code(api, users, exeter):
    """EX1 11AA is refused, not read as EX11 1AA (which a zone covering EX11 would take)."""
    ZoneFactory(code="EAST", districts=["EX11"])
    client = api(users["broker"])
    response = client.get(f"{ZONES}lookup/", {"postcode": "EX1 11AA"})
    assert response.status_code == 400
    assert "11AA" in response.json()["postcode"][0]
    assert client.get(f"{ZONES}lookup/", {"postcode": "EX11 1AA"}).json()["code"] == "EAST"


@pytest.mark.parametrize("postcode", ["GIR 1AA", "E\u017fX1 1AA", "EX1 1\u00c5A"])
def test_lookup_of_other_gir_postcodes_and_letters_outside_a_to_z_is_400(
    api, users, exeter, postcode
):
    response = api(users["broker"]).get(f"{ZONES}lookup/", {"postcode": postcode})
    assert response.status_code == 400
    assert "postcode" in response.json()


def test_lookup_without_a_postcode_is_400(api, users):
    response = api(users["broker"]).get(f"{ZONES}lookup/")
    assert response.status_code == 400
    assert "postcode" in response.json()
