"""What-if simulations: the API, the job, and a calibration on generated history."""

import datetime

import pytest
from django.utils import timezone

from replay import services
from replay.models import Simulation
from tests.factories import CommissionerFactory, ProviderFactory

from .history import generate, generated_market, history_start

pytestmark = pytest.mark.django_db

URL = "/api/v1/simulations/"


@pytest.fixture
def providers():
    return generated_market()[1]


@pytest.fixture
def period(providers):
    """Ten days ending yesterday, in the generated market: (first day, last day)."""
    return history_start().date(), timezone.localdate() - datetime.timedelta(days=1)


@pytest.fixture
def past(providers, period):
    """The period with forty referrals of engine-made history from 08:00 on its first day."""
    generate(providers, start=history_start())
    return period


@pytest.fixture
def few(providers, period):
    """The period with twelve referrals of engine-made history."""
    generate(providers, start=history_start(), referrals=12)
    return period


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
    api, commissioner, period, monkeypatch, django_capture_on_commit_callbacks
):
    first, last = period
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


def test_settings_for_every_zone_chosen_are_given_once(api, commissioner, period):
    first, last = period
    ProviderFactory(code="SPARE")
    settings = {"allocation_mode": "broadcast", "reserve_providers": ["SPARE"]}
    response = api(commissioner).post(URL, body(first, last, settings=settings), format="json")
    assert response.json()["settings"] == {"EXE": settings}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"period": {"start": "2026-09-30", "end": "2026-09-01"}}, "period"),
        ({"period": {"start": "yesterday"}}, "period"),
        ({"zones": ["NOWHERE"]}, "zones"),
        ({"settings": {"EXE": {"offer_window_minutes": 0}}}, "settings"),
        ({"settings": {"EXE": {"colour": "red"}}}, "settings"),
        ({"settings": {"NOWHERE": {}}}, "settings"),
        ({"settings": {"EXE": {"reserve_providers": ["NOBODY"]}}}, "settings"),
        ({"settings": {"EXE": {"reserve_providers": ["GEN-PRIMARY"]}}}, "settings"),
        ({"runs": 50}, "runs"),
    ],
)
def test_bad_questions_are_400s_naming_the_field(api, commissioner, period, change, field):
    first, last = period
    response = api(commissioner).post(URL, {**body(first, last), **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_another_users_simulation_is_a_404(api, commissioner, period):
    first, last = period
    theirs = services.request_simulation(
        by=CommissionerFactory(), period_start=first, period_end=last, zones=[], settings={}
    )
    assert api(commissioner).get(f"{URL}{theirs.pk}/").status_code == 404
    assert api(commissioner).get(URL).json()["results"] == []


def test_the_job_replays_the_period_and_the_no_change_lands_near_what_happened(
    api, commissioner, past
):
    first, last = past
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
    for measure, allowed in (("within_4_hours_percent", 10), ("within_90_minutes_percent", 15)):
        assert abs(predicted[measure] - actual[measure]) <= allowed, (measure, predicted, actual)
    assert len(predicted["runs"]) == len(results["with_settings"]["runs"]) == 2
    # Twenty minutes is shorter than most providers take to answer: fewer are filled.
    assert results["with_settings"]["unfilled"] > predicted["unfilled"]


def test_the_same_seed_gives_the_same_results(commissioner, few):
    first, last = few
    ask = dict(by=commissioner, period_start=first, period_end=last, zones=[], settings={}, runs=1)
    one, two = services.request_simulation(**ask), services.request_simulation(**ask)
    services.run_simulation(simulation_id=one.pk)
    services.run_simulation(simulation_id=two.pk)
    one.refresh_from_db(), two.refresh_from_db()
    assert one.results == two.results
