"""Additive upserts for rollup tables (a row per key, sums kept in step by the services).

`add_up` adds each row's measures to the row of its key, inserting it when missing:
`INSERT ... ON CONFLICT (keys) DO UPDATE SET m = m + excluded.m` (PostgreSQL and SQLite
alike), rows in key order and in batches, so that two writers touching the same keys lock
them in the same order.
"""

from django.db import connection


def add_up(model, keys: tuple[str, ...], measures: tuple[str, ...], rows) -> None:
    """Add `rows` ((*key values, *measure values), any order) to `model`'s table, whose
    unique constraint is on the `keys` columns. Rows whose measures are all zero are
    left out."""
    rows = sorted(row for row in rows if any(row[len(keys) :]))
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    columns = (*keys, *measures)
    additions = ", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in measures)
    fields = [model._meta.get_field(column.removesuffix("_id")) for column in columns]
    size = min(5000, connection.ops.bulk_batch_size(fields, rows) or len(rows))
    one = f"({', '.join(['%s'] * len(columns))})"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(batch))} "
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {additions}",
                [value for row in batch for value in row],
            )
