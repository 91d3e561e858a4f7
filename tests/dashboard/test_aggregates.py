"""Percentiles on known sets (the same definition as PostgreSQL's percentile_cont) and the map."""

import pytest

from dashboard.aggregates import percentile_cont
from dashboard.geography import zone_points


@pytest.mark.parametrize(
    "values, fraction, expected",
    [
        ([30, 45, 60, 90, 120, 300], 0.5, 75),
        ([30, 45, 60, 90, 120, 300], 0.9, 210),
        ([300, 30, 120, 60, 90], 0.5, 90),
        ([300, 30, 120, 60, 90], 0.9, 228),
        ([42], 0.9, 42),
        ([], 0.5, None),
        ([None, 10, 20], 0.5, 15),
    ],
)
def test_percentile_cont(values, fraction, expected):
    assert percentile_cont(values, fraction) == expected


def test_zones_are_placed_by_their_districts_or_on_a_grid():
    points = zone_points({"EXETER": ["EX1", "EX2"], "PLYMOUTH": ["PL1"], "NEW": ["ZZ9"]})
    assert 50.7 < points["EXETER"][0] < 50.73 and -3.54 < points["EXETER"][1] < -3.51
    assert points["PLYMOUTH"] == (50.368, -4.143)
    # A zone of unknown districts is drawn beside the others, not on top of them.
    assert points["NEW"][1] > points["EXETER"][1]
