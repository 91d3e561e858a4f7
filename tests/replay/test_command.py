"""`manage.py replay` on hand-worked cases whose answers are known to the minute."""

import datetime

import pytest
from django.core.management import CommandError
from django.utils import timezone

from brokering import allocation, tasks
from packages.models import PackageStatus
from providers.models import Contract, ContractRole
from tests.brokering.factories import market
from tests.factories import ContractFactory, OpenPackageFactory, ProviderFactory
from zones.models import AllocationMode

from .helpers import referral, run_replay

pytestmark = pytest.mark.django_db

CONTRACT_KEYS = {
    "referrals",
    "placed",
    "unfilled",
    "within_90_minutes_percent",
    "within_4_hours_percent",
    "median_minutes",
    "packages",
}


@pytest.fixture
def cascade():
    zone, p = market(AllocationMode.CASCADE, framework=1, offer_window_minutes=60, code="EXE")
    return zone, p["primary"], p["secondary"], p["framework"][0]


def test_a_cascade_of_three_places_at_75_minutes(tmp_path, cascade):
    # No answer (60 minutes to expire), a decline after 10, an accept after 5.
    _, primary, secondary, framework = cascade
    out = run_replay(
        tmp_path,
        [referral("R1")],
        [
            ("R1", primary.code, "none", 0),
            ("R1", secondary.code, "decline", 10),
            ("R1", framework.code, "accept", 5),
        ],
    )
    assert set(out) == CONTRACT_KEYS
    assert out["packages"] == [
        {
            "ref": "R1",
            "provider": framework.code,
            "placed_at": "2026-11-02T10:15:00+00:00",
            "minutes": 75.0,
            "offers": 3,
        }
    ]
    assert out["referrals"] == out["placed"] == 1
    assert out["unfilled"] == 0
    assert out["within_90_minutes_percent"] == out["within_4_hours_percent"] == 100.0
    assert out["median_minutes"] == 75.0


def test_an_offer_expires_at_the_sweep_at_most_a_minute_late(tmp_path, cascade):
    # Submitted at 09:00:30: the offer expires at 10:00:30, the sweep at 10:01 moves on.
    _, _primary, secondary, _ = cascade
    line = referral("R1")
    line["submitted_at"] = "2026-11-02T09:00:30+00:00"
    out = run_replay(tmp_path, [line], [("R1", secondary.code, "accept", 0)])
    assert out["packages"][0]["minutes"] == 60.5
    assert out["packages"][0]["provider"] == secondary.code


def test_an_answer_after_the_offer_expired_does_nothing(tmp_path, cascade):
    _, primary, secondary, _framework = cascade
    out = run_replay(
        tmp_path,
        [referral("R1")],
        [("R1", primary.code, "accept", 61), ("R1", secondary.code, "accept", 30)],
    )
    assert out["packages"][0]["provider"] == secondary.code
    assert out["packages"][0]["minutes"] == 90.0


def test_an_accept_after_the_window_before_the_sweep_is_refused_and_the_replay_goes_on(
    tmp_path, cascade
):
    # R1's offer expires at 10:00:30: the primary's accept at 10:00:45 is refused inside the
    # accept's transaction (the offer is still pending until the sweep at 10:01), undone,
    # and the replay carries on: the sweep moves R1 on, and R2 is placed as ever.
    _, primary, secondary, _ = cascade
    first, second = referral("R1"), referral("R2", 10)
    first["submitted_at"] = "2026-11-02T09:00:30+00:00"
    out = run_replay(
        tmp_path,
        [first, second],
        [
            ("R1", primary.code, "accept", 60.25),
            ("R1", secondary.code, "accept", 0),
            ("R2", primary.code, "decline", 5),
            ("R2", secondary.code, "accept", 5),
        ],
    )
    assert [(p["provider"], p["minutes"], p["offers"]) for p in out["packages"]] == [
        (secondary.code, 60.5, 2),
        (secondary.code, 10.0, 2),
    ]


def test_nobody_answering_leaves_the_referral_unfilled(tmp_path, cascade):
    # Re-tries further apart than the replay follows a referral: one round each.
    out = run_replay(
        tmp_path, [referral("R1"), referral("R2", 30)], [], {"EXE": {"retry_minutes": 5000}}
    )
    assert out["placed"] == 0
    assert out["unfilled"] == 2
    assert out["median_minutes"] is None
    assert out["within_4_hours_percent"] == 0.0
    assert [p["offers"] for p in out["packages"]] == [3, 3]
    assert {p["provider"] for p in out["packages"]} == {None}


def test_an_escalated_referral_is_asked_again_every_retry_interval(tmp_path, cascade):
    one_round = run_replay(tmp_path, [referral("R1")], [], {"EXE": {"retry_minutes": 5000}})
    retried = run_replay(tmp_path, [referral("R1")], [], {"EXE": {"retry_minutes": 60}})
    # A round asks all three for an hour each and escalates at 3 h; the re-try comes an hour
    # later. Rounds start at 0, 4 h, 8 h, ... 24 h: seven within the day a referral is re-tried.
    assert one_round["packages"][0]["offers"] == 3
    assert retried["packages"][0]["offers"] == 7 * 3


def test_in_a_broadcast_the_faster_of_two_accepts_wins(tmp_path):
    _zone, p = market(AllocationMode.BROADCAST, code="EXE")
    out = run_replay(
        tmp_path,
        [referral("R1")],
        [("R1", p["primary"].code, "accept", 20), ("R1", p["secondary"].code, "accept", 12)],
    )
    assert out["packages"][0]["provider"] == p["secondary"].code
    assert out["packages"][0]["minutes"] == 12.0
    assert out["packages"][0]["offers"] == 2


def test_settings_change_the_zone_for_the_replay_only(tmp_path, cascade):
    zone, _primary, secondary, framework = cascade
    answers = [("R1", secondary.code, "decline", 10), ("R1", framework.code, "accept", 5)]
    out = run_replay(tmp_path, [referral("R1")], answers, {"EXE": {"offer_window_minutes": 30}})
    assert out["packages"][0]["minutes"] == 45.0
    zone.refresh_from_db()
    assert zone.offer_window_minutes == 60


def test_shares_count_every_referral_and_the_median_the_placed(tmp_path, cascade):
    _, primary, _, _ = cascade
    out = run_replay(
        tmp_path,
        [referral("A"), referral("B", 10), referral("C", 20), referral("D", 30)],
        [
            ("A", primary.code, "accept", 30),
            ("B", primary.code, "accept", 100),
            ("C", primary.code, "accept", 50),
        ],
    )
    # D is asked of all three and nobody answers; B's accept came after the window.
    assert [p["minutes"] for p in out["packages"]] == [30.0, None, 50.0, None]
    assert out["within_90_minutes_percent"] == 50.0
    assert out["median_minutes"] == 40.0


def test_a_neighbour_fills_a_zone_whose_own_providers_are_used_up(tmp_path, cascade):
    # The zone's three decline after 5 minutes each; the neighbour's provider accepts after 10.
    _, primary, secondary, framework = cascade
    _, other = market(AllocationMode.CASCADE, secondary=False, code="NBR", district="EX9")
    answers = [("R1", p.code, "decline", 5) for p in (primary, secondary, framework)]
    answers.append(("R1", other["primary"].code, "accept", 10))
    alone = run_replay(tmp_path, [referral("R1")], answers)
    helped = run_replay(tmp_path, [referral("R1")], answers, {"EXE": {"neighbours": ["NBR"]}})
    assert alone["packages"][0]["provider"] is None
    assert helped["packages"][0]["provider"] == other["primary"].code
    assert helped["packages"][0]["minutes"] == 25.0
    assert helped["packages"][0]["offers"] == 4


def test_offer_hours_hold_an_offer_overnight(tmp_path, cascade):
    # Sent at 20:30 with 07:00-21:00 and 60 minutes: it expires at 07:30 the next day, so the
    # primary's accept at 06:30 (after 10 hours) still counts.
    _, primary, secondary, _ = cascade
    late = [referral("R1", minutes=11 * 60 + 30)]
    answers = [("R1", primary.code, "accept", 600), ("R1", secondary.code, "accept", 5)]
    around_the_clock = run_replay(tmp_path, late, answers)
    with_hours = run_replay(
        tmp_path, late, answers, {"EXE": {"offer_hours": {"start": "07:00", "end": "21:00"}}}
    )
    assert around_the_clock["packages"][0]["provider"] == secondary.code
    assert around_the_clock["packages"][0]["minutes"] == 65.0
    assert with_hours["packages"][0] == {
        "ref": "R1",
        "provider": primary.code,
        "placed_at": "2026-11-03T06:30:00+00:00",
        "minutes": 600.0,
        "offers": 1,
    }


def test_a_reserve_provider_tried_fills_what_the_zone_could_not(tmp_path, cascade):
    # All three decline after 5 minutes each; SPARE, tried as the reserve, accepts after 10.
    zone, primary, secondary, framework = cascade
    spare = ProviderFactory(code="SPARE")
    answers = [("R1", p.code, "decline", 5) for p in (primary, secondary, framework)]
    answers.append(("R1", "SPARE", "accept", 10))
    as_now = run_replay(tmp_path, [referral("R1")], answers)
    tried = run_replay(
        tmp_path, [referral("R1")], answers, {"EXE": {"reserve_providers": ["SPARE"]}}
    )
    assert as_now["packages"][0]["provider"] is None
    assert tried["packages"][0] | {"placed_at": None} == {
        "ref": "R1",
        "provider": "SPARE",
        "placed_at": None,
        "minutes": 25.0,
        "offers": 4,
    }
    assert not Contract.objects.filter(provider=spare).exists()
    assert zone.contracts.count() == 3


def test_no_reserve_providers_leaves_out_the_zones_own(tmp_path, cascade):
    zone, primary, secondary, framework = cascade
    ContractFactory(zone=zone, role=ContractRole.RESERVE, provider__code="OLD")
    answers = [("R1", p.code, "decline", 5) for p in (primary, secondary, framework)]
    answers.append(("R1", "OLD", "accept", 10))
    as_now = run_replay(tmp_path, [referral("R1")], answers)
    tried = run_replay(tmp_path, [referral("R1")], answers, {"EXE": {"reserve_providers": []}})
    assert as_now["packages"][0]["provider"] == "OLD"
    assert tried["packages"][0]["provider"] is None
    assert zone.contracts.filter(role=ContractRole.RESERVE, provider__code="OLD").exists()


def test_the_same_input_gives_the_same_output(tmp_path):
    _zone, p = market(AllocationMode.ROTA, framework=2, offer_window_minutes=45, code="EXE")
    codes = [p["primary"].code, p["secondary"].code] + [f.code for f in p["framework"]]
    referrals = [referral(f"R{n}", n * 17) for n in range(12)]
    answers = [
        (f"R{n}", code, ("accept", "decline", "none")[(n + i) % 3], (n * 7 + i * 11) % 50)
        for n in range(12)
        for i, code in enumerate(codes)
    ]
    first = run_replay(tmp_path, referrals, answers)
    assert run_replay(tmp_path, referrals, answers) == first
    assert first["placed"] > 0


def test_tasks_run_in_place_and_never_reach_the_broker(tmp_path, cascade, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a replay sent a task to the broker")

    monkeypatch.setattr(tasks.broker_package, "delay", refuse)
    monkeypatch.setattr(tasks.broker_package, "apply_async", refuse)
    _, primary, _, _ = cascade
    out = run_replay(tmp_path, [referral("R1")], [("R1", primary.code, "accept", 3)])
    assert out["placed"] == 1


@pytest.mark.parametrize(
    ("line", "answers", "zone_settings", "says"),
    [
        ({"person": {}}, [], None, "R1: person.nhs_number"),
        ({"priority": "soon"}, [], None, "R1: priority"),
        ({"submitted_at": "2026-11-02T09:00"}, [], None, "submitted_at"),
        ({}, [("R1", "X", "maybe", 1)], None, "answer"),
        ({}, [("R1", "X", "accept", -1)], None, "after_minutes"),
        ({}, [], {"NOPE": {}}, "NOPE: no zone"),
        ({}, [], {"EXE": {"offer_window_minutes": 0}}, "offer_window_minutes"),
        ({}, [], {"EXE": {"colour": "red"}}, "not a zone field: colour"),
        ({}, [], {"EXE": {"reserve_providers": ["NOPE"]}}, "reserve_providers: No provider"),
        ({}, [], {"EXE": {"reserve_providers": "P1"}}, "reserve_providers: Give"),
    ],
)
def test_bad_input_is_an_error_naming_the_field(
    tmp_path, cascade, line, answers, zone_settings, says
):
    body = referral("R1") | line
    with pytest.raises(CommandError, match=says):
        run_replay(tmp_path, [body], answers, zone_settings)


def test_live_open_packages_are_left_out_of_the_replay(tmp_path, cascade, monkeypatch):
    # A live package nobody offered yet would be driven by the replay's sweep: its offers
    # would never be answered here, and would only cost time and take turns.
    zone, primary, *_ = cascade
    live = OpenPackageFactory(zone=zone, submitted_at=timezone.now() - datetime.timedelta(days=1))
    brokered = []
    next_offers = allocation.next_offers
    monkeypatch.setattr(
        allocation,
        "next_offers",
        lambda package, **kw: brokered.append(package.pk) or next_offers(package, **kw),
    )
    out = run_replay(tmp_path, [referral("R1")], [("R1", primary.code, "accept", 5)])
    assert out["packages"][0]["minutes"] == 5.0
    assert brokered and live.pk not in brokered
    live.refresh_from_db()
    assert live.status == PackageStatus.OPEN
