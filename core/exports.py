"""CSV export of any table: the same rows a page shows, as a download."""

import csv
import datetime

from django.http import StreamingHttpResponse
from django.utils import timezone


class Verbatim(str):
    """A cell written exactly as it is, past the formula guard: an identifier another system
    matches on (a supplier or payment reference) must reach it unchanged, even `-0042`."""


class _Echo:
    def write(self, value):
        return value


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """Stream `rows` (iterables of cells) under `header` as `filename`.csv.

    Cells starting with =, +, - or @ are prefixed with a quote so that a
    spreadsheet never runs them as formulas, except Verbatim ones. Moments are written in UK time, ISO 8601.
    """
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_safe(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _safe(cell):
    if cell is None:
        return ""
    if isinstance(cell, Verbatim):
        return str(cell)
    if isinstance(cell, datetime.datetime):
        return timezone.localtime(cell).isoformat()
    text = str(cell)
    if text and text[0] in "=+-@" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
