"""Approximate map positions for zones, drawn without map tiles.

A zone is placed at the mean of its postcode districts' approximate
centres (town centres, to about a kilometre: enough to draw circles on a
plain background, not for routing). Zones whose districts are not listed
here are laid out on a grid beside the known ones, so the map always shows
every zone.
"""

import math

# Devon (Exeter, Plymouth and Torbay districts), Bury and Worcestershire.
DISTRICT_CENTRES = {
    "EX1": (50.726, -3.517),
    "EX2": (50.711, -3.530),
    "EX3": (50.688, -3.466),
    "EX4": (50.735, -3.541),
    "EX5": (50.770, -3.440),
    "EX6": (50.680, -3.600),
    "EX7": (50.581, -3.466),
    "EX8": (50.620, -3.413),
    "EX9": (50.631, -3.322),
    "EX10": (50.680, -3.240),
    "EX11": (50.750, -3.280),
    "EX12": (50.706, -3.070),
    "EX13": (50.782, -3.000),
    "EX14": (50.800, -3.190),
    "EX15": (50.856, -3.390),
    "EX16": (50.903, -3.490),
    "EX17": (50.790, -3.650),
    "EX18": (50.910, -3.870),
    "EX19": (50.850, -3.990),
    "EX20": (50.739, -4.003),
    "EX21": (50.790, -4.250),
    "EX22": (50.812, -4.353),
    "EX23": (50.830, -4.543),
    "EX31": (51.080, -4.058),
    "EX32": (51.075, -4.000),
    "EX33": (51.110, -4.160),
    "EX34": (51.208, -4.120),
    "EX35": (51.230, -3.835),
    "EX36": (51.017, -3.834),
    "EX37": (50.980, -3.990),
    "EX38": (50.950, -4.140),
    "EX39": (51.017, -4.208),
    "PL1": (50.368, -4.143),
    "PL2": (50.390, -4.160),
    "PL3": (50.390, -4.130),
    "PL4": (50.375, -4.125),
    "PL5": (50.420, -4.180),
    "PL6": (50.420, -4.110),
    "PL7": (50.390, -4.050),
    "PL8": (50.330, -4.020),
    "PL9": (50.350, -4.100),
    "PL19": (50.550, -4.144),
    "PL20": (50.490, -4.080),
    "PL21": (50.390, -3.920),
    "TQ1": (50.470, -3.520),
    "TQ2": (50.470, -3.550),
    "TQ3": (50.435, -3.580),
    "TQ4": (50.420, -3.580),
    "TQ5": (50.395, -3.515),
    "TQ6": (50.352, -3.580),
    "TQ7": (50.284, -3.777),
    "TQ8": (50.240, -3.768),
    "TQ9": (50.432, -3.686),
    "TQ10": (50.430, -3.830),
    "TQ11": (50.480, -3.780),
    "TQ12": (50.530, -3.610),
    "TQ13": (50.590, -3.680),
    "TQ14": (50.547, -3.497),
    "BL0": (53.650, -2.320),
    "BL8": (53.600, -2.330),
    "BL9": (53.593, -2.298),
    "M25": (53.540, -2.280),
    "M26": (53.560, -2.340),
    "M45": (53.550, -2.290),
    "WR1": (52.195, -2.220),
    "WR2": (52.190, -2.250),
    "WR3": (52.220, -2.200),
    "WR4": (52.200, -2.180),
    "WR5": (52.180, -2.200),
    "WR9": (52.270, -2.150),
    "WR10": (52.110, -2.080),
    "WR11": (52.090, -1.950),
    "WR14": (52.110, -2.320),
    "WR15": (52.310, -2.590),
    "DY10": (52.390, -2.240),
    "DY11": (52.370, -2.270),
    "DY13": (52.340, -2.280),
    "DY14": (52.370, -2.440),
    "B60": (52.330, -2.060),
    "B61": (52.340, -2.070),
    "B96": (52.250, -1.980),
    "B97": (52.300, -1.950),
    "B98": (52.300, -1.920),
}

GRID_STEP = 0.12  # degrees between zones laid out on the grid


def zone_points(districts_by_zone: dict[str, list[str]]) -> dict[str, tuple[float, float]]:
    """A (lat, lon) for every zone code, from its districts or on a grid."""
    points = {}
    unplaced = []
    for code in sorted(districts_by_zone):
        known = [DISTRICT_CENTRES[d] for d in districts_by_zone[code] if d in DISTRICT_CENTRES]
        if known:
            points[code] = (
                round(sum(lat for lat, _ in known) / len(known), 4),
                round(sum(lon for _, lon in known) / len(known), 4),
            )
        else:
            unplaced.append(code)
    if unplaced:
        # To the east of the placed zones (or around Birmingham when none is).
        top = max((lat for lat, _ in points.values()), default=53.0)
        left = max((lon for _, lon in points.values()), default=-2.5) + 4 * GRID_STEP
        columns = math.ceil(math.sqrt(len(unplaced)))
        for index, code in enumerate(unplaced):
            row, column = divmod(index, columns)
            points[code] = (
                round(top - row * GRID_STEP, 4),
                round(left + column * GRID_STEP * 1.6, 4),
            )
    return points
