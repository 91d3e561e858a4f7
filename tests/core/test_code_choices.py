"""Zones and providers chosen by code: a select while they are few, a text box beyond that.

A national market's 13,000 providers as the options of a select would be most of each list
page, and most of the time it takes to make; the answer is checked the same either way.
"""

import pytest

from core import forms as core_forms
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def few_options(monkeypatch):
    monkeypatch.setattr(core_forms, "MAX_SELECT_OPTIONS", 2)


def test_a_select_while_few_a_text_box_for_the_code_beyond(client, commissioner, few_options):
    client.force_login(commissioner)
    factories.ProviderFactory(code="P-ONE")
    factories.ProviderFactory(code="P-TWO")
    page = client.get("/packages/all/").content.decode()
    assert '<select name="provider"' in page
    factories.ProviderFactory(code="P-THREE")
    page = client.get("/packages/all/").content.decode()
    assert '<select name="provider"' not in page
    assert 'name="provider"' in page and 'type="text"' in page


def test_a_typed_code_filters_and_an_unknown_one_is_named(api, admin_user, few_options):
    zone = factories.ZoneFactory(code="Z-TYPED")
    for code in ("P-A", "P-B", "P-C"):
        factories.PlacedPackageFactory(zone=zone, provider=factories.ProviderFactory(code=code))
    found = api(admin_user).get("/api/v1/packages/?provider=P-B").json()
    assert [package["provider"] for package in found["results"]] == ["P-B"]
    refused = api(admin_user).get("/api/v1/packages/?provider=NOBODY")
    assert refused.status_code == 400
    assert refused.json() == {"provider": ["There is no provider with this code."]}


def test_the_capacity_form_takes_a_typed_provider_code(client, admin_user, few_options):
    zone = factories.ZoneFactory(code="Z-CAP")
    for code in ("P-A", "P-B", "P-C"):
        factories.ProviderFactory(code=code)
    client.force_login(admin_user)
    page = client.get("/providers/capacity/").content.decode()
    assert '<select name="provider"' not in page
    assert '<select name="zone"' in page
    week = page.split('name="week_start"')[1].split('value="')[1].split('"')[0]
    answer = client.post(
        "/providers/capacity/",
        {"provider": "P-B", "zone": zone.code, "week_start": week, "hours": "12"},
    )
    assert answer.status_code == 302
    answer = client.post(
        "/providers/capacity/",
        {"provider": "NOBODY", "zone": zone.code, "week_start": week, "hours": "12"},
    )
    assert "There is no provider with this code." in answer.content.decode()
