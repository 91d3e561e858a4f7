"""The what-if results table: each measure, actual against predicted (page and CSV alike)."""

from core.tables import Column

from .services import NO_CHANGE, WITH_SETTINGS

MEASURE_ROWS = [
    ("Median time to fill (minutes)", "median_minutes"),
    ("90th percentile (minutes)", "p90_minutes"),
    ("Filled within 1.5 hours (%)", "within_90_minutes_percent"),
    ("Filled within 4 hours (%)", "within_4_hours_percent"),
    ("Unfilled (%)", "unfilled_percent"),
    ("Unfilled (referrals)", "unfilled"),
]


def comparison_rows(results: dict) -> list[dict]:
    """One row a measure: what happened, the replay with no change, the replay with settings."""
    return [
        {
            "measure": label,
            "actual": results["actual"][key],
            NO_CHANGE: results[NO_CHANGE][key],
            WITH_SETTINGS: (results[WITH_SETTINGS] or {}).get(key),
        }
        for label, key in MEASURE_ROWS
    ]


def comparison_columns(results: dict) -> list[Column]:
    columns = [
        Column("Measure", lambda row: row["measure"]),
        Column("Actual", lambda row: row["actual"]),
        Column("Predicted, no change", lambda row: row[NO_CHANGE]),
    ]
    if results[WITH_SETTINGS] is not None:
        columns.append(Column("Predicted, with the settings", lambda row: row[WITH_SETTINGS]))
    return columns
