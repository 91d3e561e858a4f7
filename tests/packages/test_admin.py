"""The admin site: people by id only, every opened record logged, visits read-only."""

import pytest
from django.contrib.admin.sites import site

from packages.models import Package, PersonAccess
from tests.factories import PackageFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def test_opening_a_person_in_the_admin_is_logged(admin_client_, admin_user):
    person = PersonFactory()
    url = f"/admin/packages/person/{person.pk}/change/"
    assert admin_client_.get(url, REMOTE_ADDR="10.0.0.7").status_code == 200
    access = PersonAccess.objects.get()
    assert (access.person, access.user, access.via, access.ip_address) == (
        person,
        admin_user,
        url,
        "10.0.0.7",
    )


def test_the_admin_list_of_people_shows_no_identity_and_searches_by_id_only(admin_client_):
    person = PersonFactory(nhs_number="9434765919", family_name="Ashworth")
    html = admin_client_.get("/admin/packages/person/").content.decode()
    assert "Ashworth" not in html
    found = admin_client_.get("/admin/packages/person/", {"q": "9434765919"}).context["cl"]
    assert list(found.result_list) == []
    found = admin_client_.get("/admin/packages/person/", {"q": str(person.pk)}).context["cl"]
    assert list(found.result_list) == [person]
    assert not PersonAccess.objects.exists()


def test_visits_and_plan_cannot_be_edited_in_the_admin(rf, admin_user):
    # The package's weekly hours are worked out from its visits: an admin edit would break that.
    package = PackageFactory()
    request = rf.get("/")
    request.user = admin_user
    inlines = site._registry[Package].get_inline_instances(request, package)
    assert inlines
    assert not any(inline.has_change_permission(request, package) for inline in inlines)
    assert not any(inline.has_add_permission(request, package) for inline in inlines)
