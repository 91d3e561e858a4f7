"""Fixtures for the package tests: a zone covering EX1 and EX2, and a valid referral body."""

import copy

import pytest

from tests.factories import ZoneFactory

REFERRAL = {
    "person": {
        "nhs_number": "943 476 5919",
        "given_name": "Ada",
        "family_name": "Ashworth",
        "date_of_birth": "1938-05-17",
        "address_line": "1 Fore Street, Exeter",
        "postcode": "ex2 4qd",
    },
    "source": "hospital_discharge",
    "priority": "urgent",
    "start_date": "2026-11-23",
    "hospital_ready_on": "2026-11-22",
    "visits": [
        {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "time": "08:00",
            "duration_minutes": 45,
            "carers": 2,
            "purpose": "personal_care",
        },
        {"days": ["mon", "thu"], "time": "12:30", "duration_minutes": 15, "purpose": "medication"},
    ],
    "flexible_plan": {"week_hours": [20, 10, 20, 10], "contingency_hours": "4"},
}


@pytest.fixture
def zone(db):
    return ZoneFactory(code="EXE", name="Exeter", districts=["EX1", "EX2"])


@pytest.fixture
def other_zone(db):
    return ZoneFactory(code="NDV", name="North Devon", districts=["EX31", "EX32"])


@pytest.fixture
def referral(zone):
    """A fresh copy of a valid POST body (hospital discharge, a double-handed morning call)."""
    return copy.deepcopy(REFERRAL)
