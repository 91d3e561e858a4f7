"""SQL pieces the ORM lacks: minutes between two times, and percentiles.

PostgreSQL computes percentiles itself (`percentile_cont`); SQLite, used when
the service runs on a laptop, gets the same definition as a Python aggregate
registered on its connection, so both give the same numbers.
"""

import math

from django.db.models import Aggregate, FloatField, Func


class Minutes(Func):
    """Minutes from the first datetime expression to the second, as a float."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        start, end = (compiler.compile(e) for e in self.get_source_expressions())
        # date_part answers a float; EXTRACT answers a numeric, much slower to sort.
        sql = f"(date_part('epoch', {end[0]} - {start[0]}) / 60.0)"
        return sql, (*end[1], *start[1])

    def as_sqlite(self, compiler, connection, **extra):
        start, end = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"((julianday({end[0]}) - julianday({start[0]})) * 1440.0)"
        return sql, (*end[1], *start[1])


def percentile_cont(values, fraction):
    """PostgreSQL's percentile_cont: interpolate between the two nearest ranks."""
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class _SqlitePercentile:
    def __init__(self):
        self.values = []
        self.fraction = 0.5

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return percentile_cont(self.values, self.fraction)


class Percentile(Aggregate):
    """The continuous percentile (0 < fraction < 1) of an expression."""

    name = "Percentile"
    template = "percentile_cont(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction, **extra):
        super().__init__(expression, fraction=f"{float(fraction):g}", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        connection.ensure_connection()
        connection.connection.create_aggregate("dashboard_percentile", 2, _SqlitePercentile)
        clone = self.copy()
        clone.template = "dashboard_percentile(%(expressions)s, %(fraction)s)"
        return clone.as_sql(compiler, connection, **extra)
