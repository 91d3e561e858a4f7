"""The portal's offers, page and live rows, are reused while nothing they show has changed
(core.fresh), show any change committed since at once, and are each provider's own.

The tests commit (transaction=True): inside a test's transaction no page is reused.
"""

import pytest

from brokering.models import Offer, OfferStatus
from packages.models import Package
from tests.brokering.factories import OfferFactory
from tests.factories import OpenPackageFactory, ProviderFactory, ProviderUserFactory
from tests.reuse import committed_elsewhere, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

PORTAL = "/brokering/offers/"


@pytest.fixture
def provider():
    return ProviderFactory(code="PROV-A", name="Alpha Home Care")


@pytest.fixture
def offer(provider):
    return OfferFactory(provider=provider, package=OpenPackageFactory())


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "rows"])
def test_the_offers_show_a_new_offer_and_lose_a_withdrawn_one(provider, offer, htmx):
    client = signed_in(ProviderUserFactory(provider=provider))
    headers = {"HX-Request": "true"} if htmx else {}
    package = OpenPackageFactory()
    first = client.get(PORTAL, headers=headers)
    assert client.get(PORTAL, headers=headers).content == first.content
    assert f"Package {offer.package_id}:" in first.content.decode()
    committed_elsewhere(lambda: OfferFactory(provider=provider, package=package))
    assert f"Package {package.pk}:" in client.get(PORTAL, headers=headers).content.decode()
    committed_elsewhere(
        lambda: Offer.objects.filter(pk=offer.pk).update(status=OfferStatus.WITHDRAWN)
    )
    assert (
        f"Package {offer.package_id}:" not in client.get(PORTAL, headers=headers).content.decode()
    )


def test_the_offers_show_a_change_to_the_package_offered(provider, offer):
    client = signed_in(ProviderUserFactory(provider=provider))
    assert "Urgent" not in client.get(PORTAL).content.decode()
    committed_elsewhere(
        lambda: Package.objects.filter(pk=offer.package_id).update(priority="urgent")
    )
    assert "Urgent" in client.get(PORTAL).content.decode()


def test_a_provider_never_sees_another_providers_offers(provider, offer):
    mine = signed_in(ProviderUserFactory(provider=provider)).get(PORTAL).content.decode()
    assert f"Package {offer.package_id}:" in mine
    theirs = signed_in(ProviderUserFactory(provider=ProviderFactory(code="PROV-B")))
    assert f"Package {offer.package_id}:" not in theirs.get(PORTAL).content.decode()
    assert f"Package {offer.package_id}:" not in theirs.get(PORTAL).content.decode()
