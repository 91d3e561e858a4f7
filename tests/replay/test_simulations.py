"""What-if simulations: the API, the job, and a calibration on generated history."""

import datetime

import pytest
from django.utils import timezone

from replay import services
from replay.models import Simulation
from tests.factories import CommissionerFactory

from .history import generate, generated_market

pytestmark = pytest.mark.django_db

URL = "/api/v1/simulations/"


@pytest.fixture
def past():
    """Ten days of engine-made history ending yesterday; (zone, providers, first day, last day)."""
    zone, providers = generated_market()
    start = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(days=10)
    generate(providers, start=start)
    return zone, providers, start.date(), timezone.localdate() - datetime.timedelta(days=1)


def body(first, last, **more):
    return {"period": {"start": str(first), "end": str(last)}, "zones": ["EXE"], **more}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 401),
        ("broker", 403),
        ("finance", 403),
        ("provider", 403),
        ("commissioner", 202),
        ("admin", 202),
    ],
)
def test_who_may_ask_for_a_simulation(
    api, users, role, expected, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = api(users.get(role)).post(
            URL, body("2026-09-01", "2026-09-30", zones=[]), format="json"
        )
    assert response.status_code == expected
    assert len(queued) == (1 if expected == 202 else 0)


def test_a_simulation_answers_202_with_an_id_and_is_queued(
    api, commissioner, past, monkeypatch, django_capture_on_commit_callbacks
):
    _, _, first, last = past
    sent = []
    monkeypatch.setattr("replay.tasks.run_simulation.delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(commissioner).post(
            URL, body(first, last, settings={"EXE": {"offer_window_minutes": 30}}), format="json"
        )
    assert response.status_code == 202, response.json()
    data = response.json()
    assert sent == [data["id"]]
    assert data["status"] == "queued"
    assert data["progress"] == 0
    assert data["results"] is None
    assert data["period"] == {"start": str(first), "end": str(last)}
    assert Simulation.objects.get(pk=data["id"]).settings == {"EXE": {"offer_window_minutes": 30}}


def test_settings_for_every_zone_chosen_are_given_once(api, commissioner, past):
    _, _, first, last = past
    response = api(commissioner).post(
        URL, body(first, last, settings={"allocation_mode": "broadcast"}), format="json"
    )
    assert response.json()["settings"] == {"EXE": {"allocation_mode": "broadcast"}}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period": {"start": "2026-09-30", "end": "2026-09-01"}}, "period"),
        ({"period": {"start": "yesterday"}}, "period"),
        ({"zones": ["NOWHERE"]}, "zones"),
        ({"settings": {"EXE": {"offer_window_minutes": 0}}}, "settings"),
        ({"settings": {"EXE": {"colour": "red"}}}, "settings"),
        ({"settings": {"NOWHERE": {}}}, "settings"),
        ({"runs": 50}, "runs"),
    ],
)
def test_bad_questions_are_400s_naming_the_field(api, commissioner, past, change, field):
    _, _, first, last = past
    response = api(commissioner).post(URL, {**body(first, last), **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_another_users_simulation_is_a_404(api, commissioner, past):
    _, _, first, last = past
    theirs = services.request_simulation(
        by=CommissionerFactory(), period_start=first, period_end=last, zones=[], settings={}
    )
    assert api(commissioner).get(f"{URL}{theirs.pk}/").status_code == 404
    assert api(commissioner).get(URL).json()["results"] == []


def test_the_job_replays_the_period_and_the_no_change_lands_near_what_happened(
    api, commissioner, past
):
    _, _, first, last = past
    simulation = services.request_simulation(
        by=commissioner,
        period_start=first,
        period_end=last,
        zones=["EXE"],
        settings={"EXE": {"offer_window_minutes": 20}},
        runs=2,
    )
    assert services.run_simulation(simulation_id=simulation.pk)
    assert not services.run_simulation(simulation_id=simulation.pk)  # run twice: once
    data = api(commissioner).get(f"{URL}{simulation.pk}/").json()
    assert data["status"] == "done"
    assert data["progress"] == 100
    results = data["results"]
    assert results["referrals"] == 40
    actual, predicted = results["actual"], results["no_change"]
    assert actual["unfilled"] < 40
    assert abs(predicted["within_4_hours_percent"] - actual["within_4_hours_percent"]) <= 10
    # The 90-minute figure is not yet calibrated (issue 12): gaps of 16 and 17.5 points have
    # been seen, by the time of day the history starts at.
    assert abs(predicted["within_90_minutes_percent"] - actual["within_90_minutes_percent"]) <= 20
    assert len(predicted["runs"]) == len(results["with_settings"]["runs"]) == 2
    # Twenty minutes is shorter than most providers take to answer: fewer are filled.
    assert results["with_settings"]["unfilled"] > predicted["unfilled"]


def test_the_same_seed_gives_the_same_results(commissioner, past):
    _, _, first, last = past
    ask = dict(by=commissioner, period_start=first, period_end=last, zones=[], settings={}, runs=1)
    one, two = services.request_simulation(**ask), services.request_simulation(**ask)
    services.run_simulation(simulation_id=one.pk)
    services.run_simulation(simulation_id=two.pk)
    one.refresh_from_db(), two.refresh_from_db()
    assert one.results == two.results
