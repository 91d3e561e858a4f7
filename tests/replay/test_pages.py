"""The what-if pages: ask, watch the progress, read predicted against actual (and its CSV)."""

import datetime

import pytest
from django.utils import timezone

from replay import services
from tests.brokering.factories import market
from tests.factories import CommissionerFactory
from zones.models import AllocationMode

pytestmark = pytest.mark.django_db

URL = "/what-if/"


@pytest.fixture
def zone():
    return market(AllocationMode.CASCADE, code="EXE")[0]


def form(**changes):
    today = timezone.localdate()
    return {
        "period_start": str(today - datetime.timedelta(days=14)),
        "period_end": str(today),
        "zones": ["EXE"],
        "seed": "1",
        "runs": "2",
        **changes,
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [("broker", 403), ("finance", 403), ("provider", 403), ("commissioner", 200), ("admin", 200)],
)
def test_who_may_open_the_what_if_page(page, users, zone, role, expected):
    assert page(users[role]).get(URL).status_code == expected


def test_anonymous_users_are_sent_to_sign_in(page):
    assert page().get(URL).status_code == 302


def test_asking_queues_a_simulation_and_shows_its_progress(
    page, commissioner, zone, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("replay.tasks.run_simulation.delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = page(commissioner).post(
            URL, form(offer_window_minutes="30", neighbours="", reserve_providers="none")
        )
    simulation = commissioner.simulations.get()
    assert response.status_code == 302
    assert response["Location"] == f"{URL}{simulation.pk}/"
    assert sent == [simulation.pk]
    assert simulation.settings == {"EXE": {"offer_window_minutes": 30, "reserve_providers": []}}
    shown = page(commissioner).get(response["Location"]).content.decode()
    assert "Waiting for a worker" in shown
    assert 'hx-trigger="every 1s"' in shown


def test_a_bad_setting_is_shown_at_its_field(page, commissioner, zone):
    response = page(commissioner).post(URL, form(offer_window_minutes="0"))
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert "offer_window_minutes" in response.context["form"].errors
    assert not commissioner.simulations.exists()


def test_a_reserve_provider_that_is_not_one_is_shown_at_its_field(page, commissioner, zone):
    response = page(commissioner).post(URL, form(reserve_providers="NOBODY"))
    assert response.context["form"].errors["reserve_providers"] == [
        "No provider has the code NOBODY."
    ]
    assert not commissioner.simulations.exists()


def test_a_period_in_the_future_is_refused(page, commissioner, zone):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = page(commissioner).post(URL, form(period_end=str(tomorrow)))
    assert "period_end" in response.context["form"].errors


def test_htmx_asks_for_the_bar_and_reloads_once_finished(page, commissioner, zone):
    simulation = services.request_simulation(
        by=commissioner,
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        zones=[],
        settings={},
        runs=1,
    )
    htmx = {"HTTP_HX_REQUEST": "true"}
    running = page(commissioner).get(f"{URL}{simulation.pk}/", **htmx)
    assert "HX-Refresh" not in running
    services.run_simulation(simulation_id=simulation.pk)
    done = page(commissioner).get(f"{URL}{simulation.pk}/", **htmx)
    assert done["HX-Refresh"] == "true"


def test_a_finished_simulation_shows_the_calibration_a_chart_a_table_and_its_csv(
    page, commissioner, zone
):
    simulation = services.request_simulation(
        by=commissioner,
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        zones=[],
        settings={"EXE": {"offer_window_minutes": 30, "allocation_mode": "broadcast"}},
        runs=1,
    )
    services.run_simulation(simulation_id=simulation.pk)
    shown = page(commissioner).get(f"{URL}{simulation.pk}/").content.decode()
    # The settings tried, as the form names them and in its order.
    tried = (
        "Allocation mode: Broadcast (every eligible provider at once); Offer window (minutes): 30"
    )
    assert f"<strong>EXE</strong>: {tried}</p>" in shown
    assert 'id="calibration"' in shown
    assert 'data-chart="whatif-chart-data"' in shown
    assert "Predicted, with the settings" in shown
    csv = page(commissioner).get(f"{URL}{simulation.pk}/?format=csv")
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0] == 'Measure,Actual,"Predicted, no change","Predicted, with the settings"'
    assert len(lines) == 7


def test_another_users_simulation_is_a_404(page, commissioner, zone):
    theirs = services.request_simulation(
        by=CommissionerFactory(),
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        zones=[],
        settings={},
    )
    assert page(commissioner).get(f"{URL}{theirs.pk}/").status_code == 404


def test_the_settings_tried_read_as_the_form_names_them():
    from replay.selectors import settings_described

    tried = {
        "EXE": {
            "reserve_providers": [],
            "neighbours": ["MID", "EAST"],
            "offer_hours": {"start": "07:00", "end": "21:00"},
            "retry_minutes": 15,
        }
    }
    assert settings_described(tried) == [
        (
            "EXE",
            [
                "Neighbour zones: MID, EAST",
                "Reserve providers: none",
                "Re-try interval (minutes): 15",
                "Offer hours: 07:00 to 21:00",  # two fields in the form: after its own
            ],
        )
    ]
