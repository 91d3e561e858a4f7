import pytest
from django.core.management import call_command

from accounts.models import Role, User
from brokering import services
from demo.management.commands import seed_demo
from demo.market import DEMO_PASSWORD, seed_market
from packages.models import PackageStatus
from providers.models import Capacity, Contract, ContractRole, Provider
from tests.brokering.factories import open_package
from zones.models import AllocationMode, PostcodeDistrict, Zone
from zones.selectors import zone_for_postcode

pytestmark = pytest.mark.django_db

MODELS = [Zone, PostcodeDistrict, Provider, Contract, Capacity, User]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture(autouse=True)
def _market_only(monkeypatch):
    # Later steps (the demo history) have their own tests; these are about the market.
    monkeypatch.setattr(seed_demo, "STEPS", [seed_market])


def test_seed_demo_loads_a_devon_like_market_and_is_idempotent(capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    assert first["Zone"] == 8
    assert 28 <= first["Provider"] <= 34
    assert set(Zone.objects.values_list("allocation_mode", flat=True)) == set(AllocationMode.values)
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output
    for username in ("admin", "broker", "commissioner", "finance", "provider"):
        assert username in output


def test_the_demo_market_has_a_bury_style_rota_and_real_devon_districts():
    call_command("seed_demo")
    assert zone_for_postcode("EX2 4QD").code == "EXETER"
    assert zone_for_postcode("TQ1 1AA").code == "SOUTH-DEVON"
    assert zone_for_postcode("PL19 0AA").code == "WEST-DEVON"
    assert zone_for_postcode("EX31 1AA").code == "NORTH-DEVON"
    rota = Zone.objects.get(allocation_mode=AllocationMode.ROTA)
    shares = dict(rota.contracts.values_list("role", "share_percent"))
    assert (shares["primary"], shares["secondary"], rota.rotation_weeks) == (80, 20, 2)
    assert rota.contracts.filter(role="framework").count() >= 2
    assert Provider.objects.filter(lot=2, weekly_hours_cap=600).exists()
    ratings = set(Provider.objects.values_list("cqc_rating", flat=True))
    assert {"outstanding", "good", "requires_improvement", "inadequate"} <= ratings
    assert Capacity.objects.values("week_start").distinct().count() == 2


def test_the_demo_accounts_sign_in_with_the_documented_password(client):
    call_command("seed_demo")
    roles = dict(User.objects.values_list("username", "role"))
    assert {roles[name] for name in ("admin", "broker", "commissioner", "finance", "provider")} == {
        Role.ADMIN,
        Role.BROKER,
        Role.COMMISSIONER,
        Role.FINANCE,
        Role.PROVIDER,
    }
    limited = User.objects.get(username="broker.north")
    assert sorted(limited.zones.values_list("code", flat=True)) == ["NORTH-DEVON", "TORRIDGE"]
    assert User.objects.get(username="provider").provider.code == "EXE-VALLEY"
    # Each has an address, so the demo's console shows the emails users are sent.
    assert not User.objects.filter(email="").exists()
    response = client.post(
        "/accounts/login/", {"username": "commissioner", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_seeding_again_keeps_what_people_changed():
    call_command("seed_demo")
    exeter = Zone.objects.get(code="EXETER")
    exeter.contracts.filter(role="framework").delete()
    Provider.objects.filter(code="EXE-VALLEY").update(name="Renamed")
    call_command("seed_demo")
    assert not exeter.contracts.filter(role="framework").exists()
    assert Provider.objects.get(code="EXE-VALLEY").name == "Renamed"


def _ask_until_placed(package, takers):
    """Brokering as the worker runs it: each provider asked declines, unless it is in
    `takers`, which accepts. Answers the providers asked, in order."""
    asked = []
    while offers := services.advance_brokering(package_id=package.pk):
        for offer in offers:
            asked.append(offer.provider.code)
            if offer.provider.code in takers:
                services.accept_offer(offer_id=offer.pk, by=None)
                return asked
            services.decline_offer(offer_id=offer.pk, by=None, reason="no_capacity")
    return asked


def test_a_dartmoor_package_nobody_in_dartmoor_takes_is_placed_across_the_border():
    call_command("seed_demo")
    dartmoor = Zone.objects.get(code="DARTMOOR")
    assert dartmoor.neighbour_codes == ["SOUTH-DEVON", "WEST-DEVON"]
    package = open_package(dartmoor)

    asked = _ask_until_placed(package, takers={"DART-VALLEY"})

    # Dartmoor's own eligible providers first (Okement is onboarding), then South Devon's,
    # Dart Valley first: its declared capacity in Dartmoor covers the package.
    assert asked == ["MOORLAND", "GRAND-WESTERN", "DEVON-RAPID", "DART-VALLEY"]
    package.refresh_from_db()
    assert (package.status, package.provider.code) == (PackageStatus.PLACED, "DART-VALLEY")


def test_a_torridge_package_goes_to_the_reserve_before_north_devon():
    call_command("seed_demo")
    package = open_package(Zone.objects.get(code="TORRIDGE"))

    asked = _ask_until_placed(package, takers={"NORTH-COAST"})

    assert asked[:4] == ["TORRIDGE-CARE", "TARKA", "HOLSWORTHY", "DEVON-RAPID"]
    assert Contract.objects.get(zone__code="TORRIDGE", provider__code="DEVON-RAPID").role == (
        ContractRole.RESERVE
    )
    # North Devon's next (Tarka, already asked as Torridge's, is not asked twice).
    assert asked[4:] == ["NORTH-COAST"]
