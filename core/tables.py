"""Table and CSV columns as header-plus-value pairs: one definition for the page and its CSV.

A list page declares its columns once (`Column("Zone", lambda package: package.zone.code)`);
its CSV download is `table_csv("packages", COLUMNS, rows)`, so the two cannot drift apart.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .exports import Verbatim, csv_response


@dataclass(frozen=True)
class Column:
    """`verbatim`: the CSV keeps the value exactly (core.exports.Verbatim), for references
    another system matches on."""

    header: str
    value: Callable[[Any], Any]
    verbatim: bool = False

    def cell(self, row):
        value = self.value(row)
        return Verbatim(value) if self.verbatim and value is not None else value


def headers(columns: Iterable[Column]) -> list[str]:
    return [column.header for column in columns]


def cells(columns: Iterable[Column], row) -> list:
    return [column.cell(row) for column in columns]


def table_csv(filename: str, columns: list[Column], rows: Iterable):
    """Stream `rows` as `filename`.csv, one line a row, one cell a column."""
    return csv_response(filename, headers(columns), (cells(columns, row) for row in rows))
