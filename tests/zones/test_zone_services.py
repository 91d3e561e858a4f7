import datetime

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from tests.factories import ZoneFactory
from zones import services
from zones.models import Zone
from zones.selectors import PostcodeNotCovered, zone_for_postcode

pytestmark = pytest.mark.django_db


def test_zone_for_postcode_finds_the_zone_of_its_district():
    exeter = ZoneFactory(code="EXETER", districts=["EX1", "EX2"])
    ZoneFactory(code="EAST", districts=["EX10"])
    assert zone_for_postcode("ex2 4qd") == exeter
    # EX1 is a prefix of EX10: the district must match whole.
    assert zone_for_postcode("EX10 1AA").code == "EAST"


def test_zone_for_postcode_raises_for_malformed_and_uncovered():
    ZoneFactory(code="EXETER", districts=["EX1"])
    with pytest.raises(ValidationError) as malformed:
        zone_for_postcode("EX1")
    assert not isinstance(malformed.value, PostcodeNotCovered)
    with pytest.raises(PostcodeNotCovered) as uncovered:
        zone_for_postcode("pl1 1aa")
    # Callers that treat every ValidationError as bad input handle it too.
    assert isinstance(uncovered.value, ValidationError)
    assert uncovered.value.district == "PL1"
    assert uncovered.value.messages == ["No zone covers PL1 1AA: its district PL1 is in no zone."]


def test_create_zone_records_the_acting_user(users):
    zone = services.create_zone(
        by=users["commissioner"], code="EXETER", name="Exeter", postcode_districts=["EX1"]
    )
    entries = LogEntry.objects.filter(additional_data__zone="EXETER")
    assert {e.actor for e in entries} == {users["commissioner"]}
    assert entries.count() == 2  # the zone and its district
    assert zone.postcode_districts == ["EX1"]


def test_update_zone_refuses_unknown_fields():
    zone = ZoneFactory()
    with pytest.raises(TypeError):
        services.update_zone(zone_id=zone.pk, by=None, created_at=datetime.datetime.now())


def test_a_district_taken_in_a_race_is_a_400_not_a_500(monkeypatch):
    ZoneFactory(code="EXETER", districts=["EX1"])

    def already_free(districts, *, zone):
        """The check passed before the other request committed its district."""

    monkeypatch.setattr(services, "_check_districts_free", already_free)
    with pytest.raises(ValidationError) as error:
        services.create_zone(by=None, code="EAST", name="East", postcode_districts=["EX1"])
    assert "postcode_districts" in error.value.message_dict
    assert not Zone.objects.filter(code="EAST").exists()


def test_other_integrity_errors_are_not_hidden():
    with pytest.raises(IntegrityError), services._zone_races():
        raise IntegrityError("something else entirely")
