"""Reading electronic call monitoring (ECM) records: one record, or a CSV export of many.

A CSV file has a header row naming at least `package,date,actual_start,actual_end,carers`
(any order, other columns ignored), UTF-8 with or without a byte order mark. Rows are
numbered as lines of the file: the header is row 1, so the first visit is row 2, as a
spreadsheet shows it.
"""

import csv
import datetime
import io
from functools import lru_cache

from django import forms
from django.core.exceptions import ValidationError

from core.formats import date_text

from . import pay

FIELDS = ("package", "date", "actual_start", "actual_end", "carers")
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
MAX_ID = 2**63 - 1  # the database's id column: larger numbers are no package


class VisitRecordForm(forms.Form):
    """One ECM record's fields, parsed; the service checks them against the package."""

    package = forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        error_messages={"invalid": "Enter the package's id, a whole number."},
    )
    date = forms.DateField(
        input_formats=["%Y-%m-%d"], error_messages={"invalid": "Enter a date as YYYY-MM-DD."}
    )
    actual_start = forms.TimeField(
        input_formats=TIME_FORMATS, error_messages={"invalid": "Enter a time as HH:MM."}
    )
    actual_end = forms.TimeField(
        input_formats=TIME_FORMATS, error_messages={"invalid": "Enter a time as HH:MM."}
    )
    carers = forms.TypedChoiceField(
        choices=[("1", "1"), ("2", "2")],
        coerce=int,
        error_messages={"invalid_choice": "Enter 1 or 2 carers."},
    )

    def clean(self):
        cleaned = super().clean()
        # ECM minutes are what is paid: seconds would only defeat the duplicate check.
        for name in ("actual_start", "actual_end"):
            if cleaned.get(name) is not None:
                cleaned[name] = cleaned[name].replace(second=0, microsecond=0)
        day, start, end = (cleaned.get(name) for name in ("date", "actual_start", "actual_end"))
        if day is not None and start is not None:
            self._refuse_skipped("actual_start", day, start)
            if end is not None:
                self._refuse_skipped("actual_end", pay.end_date(day, start, end), end)
        return cleaned

    def _refuse_skipped(self, name, day, value):
        """A time in the hour the clocks skip in March never happened on that date."""
        if not pay.exists_in_uk(day, value):
            self.add_error(
                name,
                f"{value:%H:%M} does not exist on {date_text(day)} in the UK: the clocks went "
                "forward an hour at 01:00.",
            )


def parse_record(data) -> tuple[dict | None, dict]:
    """(cleaned fields, {}) or (None, {"field": ["message"]})."""
    values = {name: _text(data.get(name, "")) for name in FIELDS}
    clean = _plain(values)
    if clean is not None:
        return clean, {}
    form = VisitRecordForm(values)
    if form.is_valid():
        return form.cleaned_data, {}
    return None, {field: list(messages) for field, messages in form.errors.items()}


def _plain(values):
    """The fields cleaned as the form cleans them, when each is written the plain way ECM
    writes it (digits, YYYY-MM-DD, HH:MM or HH:MM:SS, 1 or 2) away from the night the
    clocks skip an hour; None otherwise, and the form decides and words the errors. A
    file of 50,000 rows is read in a second this way, not a minute through the form."""
    package, day, start, end = (values[name] for name in FIELDS[:4])
    if not (package.isascii() and package.isdigit() and 1 <= int(package) <= MAX_ID):
        return None
    if len(day) != 10 or day[4] != "-" or day[7] != "-" or values["carers"] not in ("1", "2"):
        return None
    start, end = _plain_time(start), _plain_time(end)
    if start is None or end is None or 1 in (start.hour, end.hour):
        return None
    day = _plain_date(day)
    if day is None:
        return None
    return {
        "package": int(package),
        "date": day,
        "actual_start": start,
        "actual_end": end,
        "carers": 1 if values["carers"] == "1" else 2,
    }


# A file repeats its dates and times thousands of times: each text is parsed once.
@lru_cache(maxsize=4096)
def _plain_date(text):
    """YYYY-MM-DD as a date, or None (Python reads other ISO forms too, 2026-W01-1 among
    them, which the form refuses)."""
    digits = text[:4] + text[5:7] + text[8:]
    if not (digits.isascii() and digits.isdigit()):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _plain_time(text):
    """HH:MM or HH:MM:SS as a time to the minute (seconds are not paid), or None."""
    if len(text) not in (5, 8) or text[2] != ":" or (len(text) == 8 and text[5] != ":"):
        return None
    digits = text[:2] + text[3:5] + text[6:]
    if not (digits.isascii() and digits.isdigit()):
        return None
    hour, minute = int(text[:2]), int(text[3:5])
    if hour > 23 or minute > 59 or (len(text) == 8 and int(text[6:]) > 59):
        return None
    return datetime.time(hour, minute)


def _text(value):
    if type(value) is str:  # a CSV's every field: skip the conversion
        return value.strip()
    if value is None:
        return ""
    return str(value).strip()


def read_csv(upload) -> list[tuple[int, dict]]:
    """The file's records as (row number, {column: text}); ValidationError on `file` if the
    file as a whole cannot be read."""
    if upload is None:
        raise ValidationError({"file": ["Choose a CSV file of visits to upload."]})
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError({"file": ["The file is larger than 10 MB: split it by month."]})
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": ["The file must be a CSV file saved as UTF-8."]}) from None
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(rows, [])]
        missing = [name for name in FIELDS if name not in header]
        if missing:
            raise ValidationError(
                {
                    "file": [
                        f"Row 1: the header must name {','.join(FIELDS)} (missing: "
                        f"{', '.join(missing)})."
                    ]
                }
            )
        records = []
        # Rows as lists made dicts by zip (DictReader's way, in C): a missing field is
        # absent, read as empty; extra fields are ignored.
        for row in rows:
            if not "".join(row).strip():
                continue
            records.append((rows.line_num, dict(zip(header, row, strict=False))))
            if len(records) > MAX_ROWS:
                raise ValidationError(
                    {"file": [f"The file has more than {MAX_ROWS} visits: split it by month."]}
                )
    except csv.Error as error:
        raise ValidationError({"file": [f"Row {rows.line_num}: {error}."]}) from None
    if not records:
        raise ValidationError({"file": ["The file has no visits after its header row."]})
    return records
