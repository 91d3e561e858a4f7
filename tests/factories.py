"""Factories for the core models, one per useful state (OpenPackageFactory, PlacedPackageFactory).

Apps further up the chain keep their own factories beside their tests
(tests/brokering/factories.py, tests/invoicing/factories.py).
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import Role, User
from packages.models import (
    FlexiblePlan,
    Package,
    PackageStatus,
    PackageVersion,
    Person,
    Placement,
    Priority,
    Source,
    Visit,
)
from packages.nhs import demo_nhs_number
from providers.models import (
    Capacity,
    Contract,
    ContractRole,
    CqcRating,
    Provider,
    ProviderStatus,
    Rate,
)
from zones.models import AllocationMode, PostcodeDistrict, Zone

PASSWORD = "correct-horse-battery-staple"


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"Z{n:03d}")
    name = factory.Sequence(lambda n: f"Zone {n}")
    allocation_mode = AllocationMode.CASCADE
    offer_window_minutes = 240
    urgent_offer_window_minutes = 30
    rotation_weeks = 2

    @factory.post_generation
    def districts(self, create, extracted, **kwargs):
        """ZoneFactory(districts=["EX1", "EX2"]); by default one made-up district."""
        if not create:
            return
        names = extracted if extracted is not None else [f"ZZ{self.pk % 100}"]
        for name in names:
            PostcodeDistrict.objects.get_or_create(zone=self, district=name)


# Rates that factories give are in force from long before any test's dates.
EARLY = datetime.date(2000, 1, 3)


class ProviderFactory(factory.django.DjangoModelFactory):
    """ProviderFactory(hourly_rate=...): its every-zone rate, in force since EARLY."""

    class Meta:
        model = Provider
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"Provider {n} Home Care Ltd")
    cqc_location_id = factory.Sequence(lambda n: f"1-{100000000 + n}")
    cqc_rating = CqcRating.GOOD
    status = ProviderStatus.ACTIVE
    lot = 1
    weekly_hours_cap = None
    contact_email = factory.LazyAttribute(lambda p: f"office@{p.code.lower()}.example.org")

    @factory.post_generation
    def hourly_rate(self, create, extracted, **kwargs):
        rate = Decimal("24.96") if extracted is None else Decimal(extracted)
        if create and not self.rates.filter(zone__isnull=True).exists():
            Rate.objects.create(
                provider=self,
                zone=None,
                hourly_rate=rate,
                effective_from=EARLY,
                created_at=timezone.now(),
            )
        self.hourly_rate = rate


class RateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rate

    provider = factory.SubFactory(ProviderFactory)
    zone = None
    hourly_rate = Decimal("27.68")
    effective_from = factory.LazyFunction(timezone.localdate)
    created_at = factory.LazyFunction(timezone.now)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    zone = factory.SubFactory(ZoneFactory)
    provider = factory.SubFactory(ProviderFactory)
    role = ContractRole.FRAMEWORK
    share_percent = 0
    starts_on = EARLY


class CapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Capacity

    provider = factory.SubFactory(ProviderFactory)
    zone = factory.SubFactory(ZoneFactory)
    week_start = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    )
    hours = Decimal("20")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = Role.BROKER
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


class BrokerFactory(UserFactory):
    role = Role.BROKER


class CommissionerFactory(UserFactory):
    role = Role.COMMISSIONER


class FinanceFactory(UserFactory):
    role = Role.FINANCE


class ProviderUserFactory(UserFactory):
    role = Role.PROVIDER
    provider = factory.SubFactory(ProviderFactory)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    nhs_number = factory.Sequence(demo_nhs_number)
    given_name = factory.Iterator(["Ada", "Bill", "Cath", "Dev", "Edna", "Frank"])
    family_name = factory.Iterator(["Ashworth", "Bradley", "Cole", "Dunn", "Ellis"])
    date_of_birth = datetime.date(1938, 5, 17)
    address_line = factory.Sequence(lambda n: f"{n + 1} Fore Street")
    postcode = "ZZ1 1AA"


class PackageFactory(factory.django.DjangoModelFactory):
    """A draft package with one 45-minute morning visit every day (5.25 h a week)."""

    class Meta:
        model = Package
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    zone = factory.SubFactory(ZoneFactory)
    source = Source.HOSPITAL_DISCHARGE
    priority = Priority.STANDARD
    status = PackageStatus.DRAFT
    start_date = factory.LazyFunction(timezone.localdate)
    weekly_hours = Decimal("5.25")

    @factory.post_generation
    def visits(self, create, extracted, **kwargs):
        """PackageFactory(visits=[{...}, ...]); by default one daily 45-minute call."""
        if not create:
            return
        specs = (
            extracted
            if extracted is not None
            else [
                {
                    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                    "time": datetime.time(8, 0),
                    "duration_minutes": 45,
                    "carers": 1,
                    "purpose": "personal_care",
                }
            ]
        )
        minutes = sum(v["duration_minutes"] * v.get("carers", 1) * len(v["days"]) for v in specs)
        hours = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
        first = PackageVersion.objects.create(
            package=self, number=1, weekly_hours=hours, created_at=timezone.now()
        )
        for spec in specs:
            Visit.objects.create(version=first, **spec)
        if extracted is not None:
            self.weekly_hours = hours
            self.save(update_fields=["weekly_hours"])

    @factory.post_generation
    def placement(self, create, extracted, **kwargs):
        """A package with a provider is in its placement, from the start date."""
        if create and self.provider_id and self.status in ("placed", "ended"):
            Placement.objects.create(
                package=self,
                provider_id=self.provider_id,
                starts_on=self.start_date,
                ends_on=self.ended_on,
                placed_at=self.placed_at or timezone.now(),
            )


class OpenPackageFactory(PackageFactory):
    status = PackageStatus.OPEN
    submitted_at = factory.LazyFunction(timezone.now)
    brokering_round = 1


class PlacedPackageFactory(OpenPackageFactory):
    status = PackageStatus.PLACED
    provider = factory.SubFactory(ProviderFactory)
    placed_at = factory.LazyFunction(timezone.now)


class FlexiblePlanFactory(factory.django.DjangoModelFactory):
    """FlexiblePlanFactory(package=package): a plan in the package's first version."""

    class Meta:
        model = FlexiblePlan

    class Params:
        package = factory.SubFactory(PackageFactory)

    version = factory.LazyAttribute(lambda plan: plan.package.versions.get(number=1))
    week1_hours = Decimal("20")
    week2_hours = Decimal("10")
    week3_hours = Decimal("20")
    week4_hours = Decimal("10")
    contingency_hours = Decimal("4")
