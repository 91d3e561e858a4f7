"""While brokering runs, the package page fetches its offers and timeline again every few
seconds (htmx), and stops once nothing is pending."""

import pytest

from packages.models import PersonAccess
from tests.factories import OpenPackageFactory, PlacedPackageFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_an_open_package_page_polls_its_offers_and_timeline(page, broker):
    package = OpenPackageFactory()
    html = page(broker).get(f"/packages/{package.pk}/").content.decode()
    assert f'hx-get="/packages/{package.pk}/live/" hx-trigger="every 5s"' in html
    assert "Brokering is running" in html


def test_the_live_part_carries_on_polling_while_brokering_runs(page, broker):
    package = OpenPackageFactory()
    response = page(broker).get(f"/packages/{package.pk}/live/", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="package-live" hx-get=')
    assert "Timeline" in html and "<html" not in html


@pytest.mark.parametrize("factory", [PlacedPackageFactory, OpenPackageFactory])
def test_polling_stops_once_nothing_is_pending(page, broker, factory):
    package = factory(escalated=True) if factory is OpenPackageFactory else factory()
    html = page(broker).get(f"/packages/{package.pk}/live/", **HTMX).content.decode()
    assert "hx-trigger" not in html
    assert "Brokering has stopped" in html
    assert f'href="/packages/{package.pk}/">Reload the page' in html
    opened = page(broker).get(f"/packages/{package.pk}/").content.decode()
    assert "hx-trigger" not in opened.split('id="package-live"')[1].split(">")[0]


def test_a_refresh_is_not_another_view_of_the_persons_record(page, broker):
    package = OpenPackageFactory()
    page(broker).get(f"/packages/{package.pk}/live/", **HTMX)
    assert not PersonAccess.objects.exists()


def test_another_providers_package_is_not_found(page, other_provider_user):
    package = PlacedPackageFactory()
    assert page(other_provider_user).get(f"/packages/{package.pk}/live/").status_code == 404
