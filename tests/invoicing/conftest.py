"""Invoicing fixtures: a fixed UK date, a package placed with the provider since the 1st."""

import datetime

import pytest

from tests.factories import PlacedPackageFactory

# Wednesday 12 March 2025, 10:00 UTC (and in London, before the clocks change).
NOW = datetime.datetime(2025, 3, 12, 10, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2025, 3, 12)
MARCH_1 = datetime.date(2025, 3, 1)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def package(now, provider_org):
    """Placed with provider_org from 1 March: a daily 45-minute call at 08:00."""
    return PlacedPackageFactory(provider=provider_org, start_date=MARCH_1)


@pytest.fixture
def other_package(now, other_provider_org):
    return PlacedPackageFactory(provider=other_provider_org, start_date=MARCH_1)
