import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core import clock

UTC = datetime.UTC


@time_machine.travel(datetime.datetime(2026, 6, 30, 23, 30, tzinfo=UTC), tick=False)
def test_today_is_the_uk_date_not_utcs():
    assert clock.today() == datetime.date(2026, 7, 1)


def test_midnight_is_uk_midnight_in_summer_and_winter():
    assert clock.midnight(datetime.date(2026, 7, 1)) == datetime.datetime(
        2026, 6, 30, 23, 0, tzinfo=UTC
    )
    assert clock.midnight(datetime.date(2026, 12, 1), days=1) == datetime.datetime(
        2026, 12, 2, 0, 0, tzinfo=UTC
    )


def test_week_start_is_the_monday():
    assert clock.week_start(datetime.date(2026, 12, 6)) == datetime.date(2026, 11, 30)
    assert clock.week_start(datetime.date(2026, 11, 30)) == datetime.date(2026, 11, 30)


def test_frozen_at_sets_now_and_today_inside_the_block_only():
    moment = datetime.datetime(2025, 3, 1, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    with clock.frozen_at(moment):
        assert clock.now() == moment
        assert clock.today() == datetime.date(2025, 3, 1)
    assert clock.now() != moment


def test_frozen_at_refuses_a_naive_moment():
    with pytest.raises(ValueError), clock.frozen_at(datetime.datetime(2025, 3, 1)):
        pass
