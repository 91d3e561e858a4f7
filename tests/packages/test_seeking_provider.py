"""Package.seeking_provider and its query (packages.models.SEEKING_PROVIDER) agree on every
package the database can hold: brokering locks by the query what it checks by the property."""

import datetime
import itertools

import pytest
from django.db import IntegrityError, transaction

from packages.models import SEEKING_PROVIDER, Package, PackageStatus
from tests.factories import PlacedPackageFactory, ProviderFactory

pytestmark = pytest.mark.django_db


def test_the_query_and_the_property_agree_for_every_status_notice_and_next_provider():
    package = PlacedPackageFactory()
    provider, next_provider = package.provider, ProviderFactory()
    agreed, refused = {}, set()
    for status, notice, following in itertools.product(
        PackageStatus.values, (None, datetime.date(2026, 12, 31)), (None, next_provider)
    ):
        combination = (status, notice is not None, following is not None)
        try:
            with transaction.atomic():
                Package.objects.filter(pk=package.pk).update(
                    status=status,
                    provider=None
                    if status in (PackageStatus.DRAFT, PackageStatus.OPEN)
                    else provider,
                    handed_back_until=notice,
                    next_provider=following,
                )
        except IntegrityError:
            refused.add(combination)
            continue
        queried = Package.objects.filter(SEEKING_PROVIDER, pk=package.pk).exists()
        assert queried == Package.objects.get(pk=package.pk).seeking_provider, combination
        agreed[combination] = queried

    # The database holds notice and a next provider only where the two could differ (a
    # package placed): every other combination with them is refused.
    assert refused == {
        (status, notice, following)
        for status, notice, following in itertools.product(
            PackageStatus.values, (False, True), (False, True)
        )
        if (notice and status != PackageStatus.PLACED) or (following and not notice)
    }
    assert {combination for combination, seeking in agreed.items() if seeking} == {
        (PackageStatus.OPEN, False, False),
        (PackageStatus.PLACED, True, False),
    }
