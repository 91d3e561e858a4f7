"""A Devon-like demo market: 8 zones on real postcode districts, 31 providers, their contracts.

The zones follow Devon's market statement (Living Well at Home, 8 zones by
town); Torbay's and Plymouth's districts are folded into the neighbouring
zones so that any South Devon postcode a demo user types finds a zone.
Exeter is run as a Bury-style rota (80/20 between two providers, swapping
every two weeks), the two busiest coastal zones broadcast, the rural zones
cascade. Devon Rapid Response is the rural zones' reserve (Devon's "Tier 3",
asked once the framework cannot take the work), and the rural zones work
across their borders: a Dartmoor package nobody in Dartmoor takes goes to
South Devon's providers, then West Devon's. Providers and their CQC location
IDs are invented.

Seeding only adds what is missing (a zone's districts and contracts come with
the zone): running it again changes nothing, and it never undoes what a person
changed since, since `make run` seeds on every start.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from accounts.models import Role, User
from accounts.services import save_account
from core import clock
from providers.models import (
    Capacity,
    Contract,
    ContractRole,
    CqcRating,
    Provider,
    ProviderStatus,
    Rate,
)
from zones.models import AllocationMode, Neighbour, PostcodeDistrict, Zone

DEMO_PASSWORD = "demo-password-2026"

ROTA, CASCADE, BROADCAST = AllocationMode.ROTA, AllocationMode.CASCADE, AllocationMode.BROADCAST
OUT, GOOD = CqcRating.OUTSTANDING, CqcRating.GOOD
RI, INADEQUATE, NOT_RATED = (
    CqcRating.REQUIRES_IMPROVEMENT,
    CqcRating.INADEQUATE,
    CqcRating.NOT_RATED,
)
ACTIVE, ONBOARDING = ProviderStatus.ACTIVE, ProviderStatus.ONBOARDING
SUSPENDED, EXITED = ProviderStatus.SUSPENDED, ProviderStatus.EXITED
# The contracts were let before the demo's history begins (twelve weeks of offers under
# them), so that a replay of that history (the what-if page) finds them in force.
CONTRACTS_START = datetime.date(2024, 1, 1)
PRIMARY, SECONDARY, FRAMEWORK = ContractRole.PRIMARY, ContractRole.SECONDARY, ContractRole.FRAMEWORK
RESERVE = ContractRole.RESERVE

# Devon's 2024/25 rates: band 1 urban, band 2 rural.
URBAN, RURAL = Decimal("24.96"), Decimal("27.68")

# code, name, mode, offer window, urgent window, districts
ZONES = [
    ("TORRIDGE", "Bideford, Torrington and Holsworthy", CASCADE, 240, 60,
     ["EX22", "EX38", "EX39"]),
    ("NORTH-DEVON", "Barnstaple, Ilfracombe, Lynton and South Molton", CASCADE, 240, 60,
     ["EX31", "EX32", "EX33", "EX34", "EX35", "EX36", "EX37"]),
    ("MID-DEVON", "Tiverton, Crediton and Cullompton", CASCADE, 240, 60,
     ["EX15", "EX16", "EX17", "EX18"]),
    ("EXETER", "Exeter", ROTA, 120, 30,
     ["EX1", "EX2", "EX3", "EX4", "EX5", "EX6"]),
    ("EAST-DEVON", "Honiton, Sidmouth, Exmouth and Seaton", BROADCAST, 90, 30,
     ["EX8", "EX9", "EX10", "EX11", "EX12", "EX13", "EX14", "EX24"]),
    ("SOUTH-DEVON", "Newton Abbot, Totnes, Dartmouth and Torbay", BROADCAST, 90, 30,
     ["EX7", "TQ1", "TQ2", "TQ3", "TQ4", "TQ5", "TQ6", "TQ7", "TQ8", "TQ9", "TQ10", "TQ11",
      "TQ12", "TQ14"]),
    ("WEST-DEVON", "Tavistock, Ivybridge and Plymouth", CASCADE, 180, 45,
     ["PL1", "PL2", "PL3", "PL4", "PL5", "PL6", "PL7", "PL8", "PL9", "PL19", "PL20", "PL21"]),
    ("DARTMOOR", "Okehampton and Moretonhampstead", CASCADE, 360, 60,
     ["EX19", "EX20", "EX21", "TQ13"]),
]  # fmt: skip

# code, name, rating, status, lot, weekly hours cap, hourly rate
PROVIDERS = [
    ("EXE-VALLEY", "Exe Valley Home Care", OUT, ACTIVE, 1, None, URBAN),
    ("CATHEDRAL", "Cathedral City Carers", GOOD, ACTIVE, 1, None, URBAN),
    ("REDCLIFFE", "Redcliffe Care at Home", GOOD, ACTIVE, 1, None, Decimal("25.40")),
    ("HEAVITREE", "Heavitree Home Support", RI, ACTIVE, 1, None, URBAN),
    ("TOPSHAM", "Topsham and Estuary Care", GOOD, ACTIVE, 2, Decimal("600"), Decimal("26.10")),
    ("TORRIDGE-CARE", "Torridge Community Care", GOOD, ACTIVE, 1, None, RURAL),
    ("TARKA", "Tarka Trail Homecare", OUT, ACTIVE, 1, None, RURAL),
    ("HOLSWORTHY", "Holsworthy Helping Hands", GOOD, ACTIVE, 2, Decimal("300"), RURAL),
    ("NORTH-COAST", "North Coast Care Partnership", GOOD, ACTIVE, 1, None, RURAL),
    ("BARUM", "Barum Home Care", GOOD, ACTIVE, 1, None, RURAL),
    ("EXMOOR", "Exmoor Rural Care", RI, ACTIVE, 1, None, Decimal("28.40")),
    ("CULM-VALLEY", "Culm Valley Care", GOOD, ACTIVE, 1, None, RURAL),
    ("CREDITON", "Crediton Care Collective", GOOD, ACTIVE, 1, None, RURAL),
    ("GRAND-WESTERN", "Grand Western Home Care", OUT, ACTIVE, 2, Decimal("400"), Decimal("27.10")),
    ("OTTER-VALLEY", "Otter Valley Care", GOOD, ACTIVE, 1, None, Decimal("25.80")),
    ("JURASSIC", "Jurassic Coast Home Care", OUT, ACTIVE, 1, None, Decimal("25.80")),
    ("SID-VALE", "Sid Vale Carers", GOOD, ACTIVE, 1, None, Decimal("25.80")),
    ("AXE-VALE", "Axe Vale Home Support", INADEQUATE, SUSPENDED, 1, None, Decimal("25.80")),
    ("EXMOUTH", "Exmouth Seaside Care", GOOD, ACTIVE, 1, None, URBAN),
    ("TEIGN", "Teign Estuary Care", GOOD, ACTIVE, 1, None, URBAN),
    ("DART-VALLEY", "Dart Valley Home Care", OUT, ACTIVE, 1, None, Decimal("26.50")),
    ("BAYSIDE", "Bayside Care Torbay", GOOD, ACTIVE, 2, Decimal("600"), URBAN),
    ("RIVIERA", "English Riviera Homecare", RI, ACTIVE, 1, None, URBAN),
    ("SOUTH-HAMS", "South Hams Care", GOOD, ACTIVE, 1, None, RURAL),
    ("TAMAR", "Tamar Valley Care", GOOD, ACTIVE, 1, None, URBAN),
    ("IVYBRIDGE", "Ivybridge Home Care", GOOD, ACTIVE, 1, None, URBAN),
    ("PLYM", "Plym Home Support", GOOD, ACTIVE, 2, Decimal("250"), URBAN),
    ("MOORLAND", "Moorland Care", GOOD, ACTIVE, 1, None, RURAL),
    ("OKEMENT", "Okement Rivers Care", NOT_RATED, ONBOARDING, 1, None, RURAL),
    ("DEVON-RAPID", "Devon Rapid Response Care", GOOD, ACTIVE, 2, Decimal("600"), Decimal("32.14")),
    ("HALDON", "Haldon Homecare", GOOD, EXITED, 2, Decimal("200"), URBAN),
]

# zone -> [(provider, role, share)], in cascade order within each role.
CONTRACTS = {
    "EXETER": [
        ("EXE-VALLEY", PRIMARY, 80),
        ("CATHEDRAL", SECONDARY, 20),
        ("REDCLIFFE", FRAMEWORK, 0),
        ("HEAVITREE", FRAMEWORK, 0),
        ("TOPSHAM", FRAMEWORK, 0),
        ("DEVON-RAPID", FRAMEWORK, 0),
    ],
    "TORRIDGE": [
        ("TORRIDGE-CARE", PRIMARY, 0),
        ("TARKA", SECONDARY, 0),
        ("HOLSWORTHY", FRAMEWORK, 0),
        ("DEVON-RAPID", RESERVE, 0),
    ],
    "NORTH-DEVON": [
        ("NORTH-COAST", PRIMARY, 0),
        ("BARUM", SECONDARY, 0),
        ("TARKA", FRAMEWORK, 0),
        ("EXMOOR", FRAMEWORK, 0),
        ("DEVON-RAPID", FRAMEWORK, 0),
    ],
    "MID-DEVON": [
        ("CULM-VALLEY", PRIMARY, 0),
        ("CREDITON", SECONDARY, 0),
        ("GRAND-WESTERN", FRAMEWORK, 0),
        ("DEVON-RAPID", RESERVE, 0),
    ],
    "EAST-DEVON": [
        ("OTTER-VALLEY", FRAMEWORK, 0),
        ("JURASSIC", FRAMEWORK, 0),
        ("SID-VALE", FRAMEWORK, 0),
        ("AXE-VALE", FRAMEWORK, 0),
        ("EXMOUTH", FRAMEWORK, 0),
        ("TOPSHAM", FRAMEWORK, 0),
    ],
    "SOUTH-DEVON": [
        ("TEIGN", FRAMEWORK, 0),
        ("DART-VALLEY", FRAMEWORK, 0),
        ("BAYSIDE", FRAMEWORK, 0),
        ("RIVIERA", FRAMEWORK, 0),
        ("SOUTH-HAMS", FRAMEWORK, 0),
        ("DEVON-RAPID", FRAMEWORK, 0),
    ],
    "WEST-DEVON": [
        ("TAMAR", PRIMARY, 0),
        ("IVYBRIDGE", SECONDARY, 0),
        ("PLYM", FRAMEWORK, 0),
        ("DEVON-RAPID", RESERVE, 0),
    ],
    "DARTMOOR": [
        ("MOORLAND", PRIMARY, 0),
        ("GRAND-WESTERN", SECONDARY, 0),
        ("OKEMENT", FRAMEWORK, 0),
        ("DEVON-RAPID", FRAMEWORK, 0),
    ],
}

# zone -> the zones whose providers it asks, in this order, once its own are used up
# (cross-border working): the hard-to-fill rural zones lean on the towns next to them.
NEIGHBOURS = {
    "DARTMOOR": ["SOUTH-DEVON", "WEST-DEVON"],
    "TORRIDGE": ["NORTH-DEVON"],
    "NORTH-DEVON": ["TORRIDGE", "MID-DEVON"],
    "MID-DEVON": ["EXETER"],
}

# (provider, zone, hours this week, hours next week)
CAPACITY = [
    ("EXE-VALLEY", "EXETER", 40, 55),
    ("CATHEDRAL", "EXETER", 12, 20),
    ("TOPSHAM", "EAST-DEVON", 30, 30),
    ("DEVON-RAPID", "SOUTH-DEVON", 25, 40),
    ("DEVON-RAPID", "NORTH-DEVON", 10, 15),
    ("TARKA", "TORRIDGE", 8, 12),
    ("JURASSIC", "EAST-DEVON", 18, 10),
    ("DART-VALLEY", "SOUTH-DEVON", 22, 28),
    ("TAMAR", "WEST-DEVON", 15, 15),
    ("MOORLAND", "DARTMOOR", 6, 9),
    # Dart Valley's carers cross into Dartmoor (its neighbour): it is asked first of South Devon's.
    ("DART-VALLEY", "DARTMOOR", 14, 14),
]

# username, role, provider, zones, what it is for
ACCOUNTS = [
    ("admin", Role.ADMIN, None, [], "everything, and the Django admin"),
    ("broker", Role.BROKER, None, [], "brokers packages in every zone"),
    ("broker.north", Role.BROKER, None, ["TORRIDGE", "NORTH-DEVON"], "a broker for two zones"),
    ("commissioner", Role.COMMISSIONER, None, [], "shapes the market, reads everything"),
    ("finance", Role.FINANCE, None, [], "invoices and payments"),
    ("provider", Role.PROVIDER, "EXE-VALLEY", [], "Exe Valley Home Care (Exeter rota)"),
    ("provider.cathedral", Role.PROVIDER, "CATHEDRAL", [], "Cathedral City Carers"),
    ("provider.dart", Role.PROVIDER, "DART-VALLEY", [], "Dart Valley Home Care"),
]


@transaction.atomic
def seed_market() -> str:
    """Add the demo zones, providers, contracts, neighbours, this and next week's capacity
    and accounts."""
    providers = {row[0]: _provider(n, *row) for n, row in enumerate(PROVIDERS)}
    zones, new_zones = {}, []
    for code, *settings in ZONES:
        zones[code], created = _zone(code, *settings)
        if created:
            new_zones.append(code)
            # A zone that already existed keeps the contracts people gave it.
            for provider_code, role, share in CONTRACTS[code]:
                Contract.objects.create(
                    zone=zones[code],
                    provider=providers[provider_code],
                    role=role,
                    share_percent=share,
                    starts_on=CONTRACTS_START,
                )
    for code in new_zones:
        # Once every zone exists: a neighbour is a zone.
        for position, neighbour in enumerate(NEIGHBOURS.get(code, [])):
            Neighbour.objects.create(
                zone=zones[code], neighbour=zones[neighbour], position=position
            )
    this_week = clock.today() - datetime.timedelta(days=clock.today().weekday())
    for provider_code, zone_code, *hours in CAPACITY:
        for weeks_ahead, spare in enumerate(hours):
            Capacity.objects.get_or_create(
                provider=providers[provider_code],
                zone=zones[zone_code],
                week_start=this_week + datetime.timedelta(weeks=weeks_ahead),
                defaults={"hours": Decimal(spare)},
            )
    for username, role, provider_code, zone_codes, _ in ACCOUNTS:
        if not User.objects.filter(username=username).exists():
            save_account(
                username=username,
                role=role,
                password=DEMO_PASSWORD,
                provider_code=provider_code,
                zone_codes=zone_codes,
                # make run prints emails to its console: the demo shows what users are sent.
                email=f"{username}@demo.example.org",
            )
    return (
        f"Demo market: {len(zones)} zones, {len(providers)} providers, "
        f"{sum(map(len, CONTRACTS.values()))} contracts, {len(ACCOUNTS)} accounts."
    )


def _zone(code, name, mode, window, urgent_window, districts):
    zone, created = Zone.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "allocation_mode": mode,
            "offer_window_minutes": window,
            "urgent_offer_window_minutes": urgent_window,
            "rotation_weeks": 2,
        },
    )
    if created:
        for district in districts:
            # A district someone has put in a zone of their own stays there.
            PostcodeDistrict.objects.get_or_create(district=district, defaults={"zone": zone})
    return zone, created


def _provider(n, code, name, rating, status, lot, cap, rate):
    provider, _ = Provider.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "cqc_location_id": f"1-{104_257_310 + 7919 * n}",
            "cqc_rating": rating,
            "status": status,
            "lot": lot,
            "weekly_hours_cap": cap,
            "weekend_uplift_percent": Decimal("10"),
            "bank_holiday_uplift_percent": Decimal("50"),
            "contact_email": f"office@{code.lower()}.example.org",
        },
    )
    if not provider.rates.exists():
        # Its first rate, which also prices the history the demo makes before today.
        Rate.objects.create(
            provider=provider,
            zone=None,
            hourly_rate=rate,
            effective_from=clock.today(),
            created_at=clock.now(),
        )
    return provider
