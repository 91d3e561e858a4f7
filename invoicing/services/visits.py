"""Recording delivered visits from electronic call monitoring: one record, or a whole file.

Each record is checked against its package (placed with the caller's provider,
dated from the package's start up to today, not already recorded), matched to
the planned visit it fulfils and priced by the pay rule. A file is all or
nothing: any bad row rejects it, naming every bad row. What the visits deliver is
added to the daily delivery rollup (invoicing.rollup) in the same transaction.

A file is up to 50,000 rows, so each row costs microseconds, not a model form and a
model instance: plain fields are parsed without the form (ecm.parse_record), each
package's planned visits of a day are looked up once, and the rows are written as plain
values: a file by one COPY on PostgreSQL, fed as its visits are priced, a single visit
(or a file on SQLite) by multi-row INSERTs. `progress`, when given, is told (stage, rows
done, rows in all) as a file goes through: rows "checked", then visits "recorded".
"""

import functools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from accounts.models import Role
from core import bulk, clock
from core.formats import date_text
from providers.models import Provider
from providers.rates import RateBook

from .. import ecm, pay, rollup, schedule
from ..models import DeliveredVisit
from ..permissions import VISIT_RECORDERS, recordable_packages_for


class VisitImportRejected(ValidationError):
    """A file with bad rows: `rows` lists {"row": n, "errors": {"field": ["message"]}}."""

    def __init__(self, rows):
        self.rows = rows
        super().__init__({"file": [_row_message(row) for row in rows]})


def _row_message(row):
    details = "; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in row["errors"].items()
    )
    return f"Row {row['row']}: {details}"


# The columns a recorded visit is written with, in the order of its INSERT.
COLUMNS = (
    "package_id", "provider_id", "zone_id", "base_rate", "date", "actual_start", "actual_end",
    "carers", "planned_visit_id", "planned_start", "planned_minutes", "planned_carers",
    "actual_minutes", "payable_minutes", "missed", "short", "late", "unplanned",
    "recorded_at", "recorded_by_id",
)  # fmt: skip
FLAGS = ("missed", "short", "late", "unplanned")
PROGRESS_EVERY = 5_000  # rows between two reports of progress
INSERT_ROWS = 5_000  # rows a statement: PostgreSQL would take a file in one, at 10 MB of SQL


@dataclass(slots=True)
class VisitRow:
    """A delivered visit as plain values, no model instance (50,000 of them, a file's or an
    invoice's, would cost more than everything else the import or the build does): one
    about to be recorded (`id` None), or one an invoice reads and prices (`paid_minutes`,
    `rate`)."""

    package_id: int
    provider_id: int
    zone_id: int
    base_rate: object
    date: object
    actual_start: object
    actual_end: object
    carers: int
    recorded_at: object
    recorded_by_id: int | None
    actual_minutes: int = 0
    payable_minutes: int = 0
    planned_visit_id: int | None = None
    planned_start: object = None
    planned_minutes: int | None = None
    planned_carers: int | None = None
    missed: bool = False
    short: bool = False
    late: bool = False
    unplanned: bool = False
    id: int | None = None
    paid_minutes: int | None = None  # priced by an invoice
    rate: object = None

    @property
    def delivered_minutes(self):
        return 0 if self.missed else self.actual_minutes * self.carers


@dataclass(frozen=True)
class VisitImport:
    """What a file recorded: how many visits, and how many of each flag."""

    imported: int
    missed: int
    short: int
    late: int
    unplanned: int


def record_visit(*, by, record: dict) -> DeliveredVisit:
    """Record one delivered visit; ValidationError naming the field if it is wrong."""
    try:
        ((visit, pk),) = _record(by=by, records=[(None, record)])
    except VisitImportRejected as rejected:
        raise ValidationError(rejected.rows[0]["errors"]) from None
    return DeliveredVisit(pk=pk, **{name: getattr(visit, name) for name in COLUMNS})


def import_visits(
    *,
    by,
    records: list[tuple[int, dict]],
    progress: Callable[[str, int, int], None] | None = None,
) -> VisitImport:
    """Record every (row number, record) of a file, or none: VisitImportRejected names the rows."""
    recorded = _record(by=by, records=records, progress=progress, want_ids=False)
    visits = [visit for visit, _ in recorded]
    return VisitImport(
        len(visits), *(sum(1 for visit in visits if getattr(visit, flag)) for flag in FLAGS)
    )


def _record(*, by, records, progress=None, want_ids=True):
    """[(VisitRow, its id)] for the records, all recorded, or VisitImportRejected. A file
    has no use for the ids (want_ids=False): on PostgreSQL it is copied in, not inserted."""
    if not (by and by.is_authenticated and by.role in VISIT_RECORDERS):
        raise PermissionDenied
    with bulk.collector_paused():
        return _record_checked(by, records, progress, want_ids)


def _record_checked(by, records, progress, want_ids):
    parsed, rows = _parse(records, _reporter(progress, "checked", len(records)))
    with transaction.atomic():
        care = _Care(_lock_packages(by, {clean["package"] for _, clean in parsed}))
        checked = _check(by, parsed, care, rows)
        if rows:
            raise VisitImportRejected(sorted(rows.values(), key=lambda row: row["row"] or 0))
        priced = _priced(by, checked, care)
        report = _reporter(progress, "recorded", len(checked))
        if want_ids:
            visits = list(priced)
            ids = insert_rows(visits, report)
        else:
            visits = _copy(priced, report)
            ids = [None] * len(visits)
        rollup.add_visits(visits)
        return list(zip(visits, ids, strict=True))


def _reporter(progress, stage, total):
    """report(done): tells `progress` of the stage every PROGRESS_EVERY rows, and at its end."""
    if progress is None:
        return lambda done: None

    def report(done):
        if done == total or done % PROGRESS_EVERY == 0:
            progress(stage, done, total)

    return report


def _parse(records, report):
    """Field by field: [(row, cleaned)] and {row: {"row", "errors"}} for those that fail."""
    parsed, rows = [], {}
    for done, (row, data) in enumerate(records, start=1):
        report(done)
        clean, errors = ecm.parse_record(data)
        if errors:
            rows[row] = {"row": row, "errors": errors}
        else:
            parsed.append((row, clean))
    return parsed, rows


def _lock_packages(by, package_ids):
    """The packages the user may record for, with their plans; their providers are locked so
    that two uploads for one provider are checked and matched one after the other."""
    packages = schedule.load(recordable_packages_for(by).filter(pk__in=package_ids))
    provider_ids = sorted(
        {p.provider_id for package in packages.values() for p in schedule.placements(package)}
    )
    list(Provider.objects.select_for_update().filter(pk__in=provider_ids).order_by("pk"))
    return packages


class _Care:
    """A file's packages (`packages`, by id), and who cared for each on a day, found once
    per package and day (a file has thousands of rows for each): `placement_on`."""

    def __init__(self, packages):
        self.packages = packages
        self._placements = {pk: schedule.placements(package) for pk, package in packages.items()}
        self._on = {}

    def placement_on(self, package_id, day):
        """The placement caring for the package on `day` (a provider's own days), or None."""
        key = (package_id, day)
        if key not in self._on:
            self._on[key] = next((p for p in self._placements[package_id] if p.covers(day)), None)
        return self._on[key]

    def provider_ids(self):
        return {p.provider_id for placements in self._placements.values() for p in placements}


def _check(by, parsed, care, rows):
    """Records that pass every check against their package, in time order; errors into `rows`."""
    today = clock.today()
    seen = _recorded_keys(parsed)
    checked = []
    for row, clean in parsed:
        package = care.packages.get(clean["package"])
        errors = _errors(by, clean, package, today, seen, care)
        if errors:
            rows[row] = {"row": row, "errors": errors}
            continue
        seen.add((package.pk, clean["date"], clean["actual_start"]))
        checked.append(clean)
    return sorted(
        checked, key=lambda clean: (clean["package"], clean["date"], clean["actual_start"])
    )


def _recorded_keys(parsed):
    """(package, date, start) of the visits already recorded for these packages and dates."""
    if not parsed:
        return set()
    dates = [clean["date"] for _, clean in parsed]
    return set(
        DeliveredVisit.objects.filter(
            package_id__in={clean["package"] for _, clean in parsed},
            date__range=(min(dates), max(dates)),
            actual_start__isnull=False,
        ).values_list("package_id", "date", "actual_start")
    )


def _errors(by, clean, package, today, seen, care):
    if package is None:
        whose = "a provider" if by.role == Role.ADMIN else "your organisation"
        return {"package": [f"Package {clean['package']} is not placed with {whose}."]}
    day = clean["date"]
    if day < package.start_date:
        return {"date": [f"Before the package started on {date_text(package.start_date)}."]}
    if day > today:
        return {"date": [f"After today ({date_text(today)}): record visits once delivered."]}
    if package.ended_on and day > package.ended_on:
        return {"date": [f"After the package ended on {date_text(package.ended_on)}."]}
    placement = care.placement_on(package.pk, day)
    if placement is None or (by.role == Role.PROVIDER and placement.provider_id != by.provider_id):
        whose = "a provider" if by.role == Role.ADMIN else "your organisation"
        return {"date": [f"Package {package.pk} is not placed with {whose} on {date_text(day)}."]}
    if (package.pk, day, clean["actual_start"]) in seen:
        return {
            "actual_start": [
                f"A visit to package {package.pk} on {date_text(day)} at "
                f"{clean['actual_start']:%H:%M} is already recorded."
            ]
        }
    return {}


def _priced(by, checked, care):
    """VisitRows, one by one as they are asked for (the database is read first, so that
    they can be made while COPY sends them): each matched to the nearest planned visit of
    its day not yet fulfilled, flagged, and priced by its provider's pay rule. What a
    package's day needs (its planned visits, who cared, the rate) is found once for all
    the day's visits."""
    fulfilled = _fulfilled(checked)
    book = RateBook.load(care.provider_ids())
    return _pricing(by, checked, care, fulfilled, book)


def _pricing(by, checked, care, fulfilled, book):
    now, by_id = clock.now(), by.pk if by else None
    terms, days = {}, {}
    for clean in checked:
        key = (clean["package"], clean["date"])
        if key not in days:
            days[key] = _day_of(care, key, book, terms)
        package, provider, base_rate, planned_on = days[key]
        planned = _match(planned_on, clean, fulfilled[key])
        if planned is not None:
            fulfilled[key].add(planned.id)
        visit = VisitRow(
            package_id=key[0],
            provider_id=provider.id,
            zone_id=package.zone_id,
            base_rate=base_rate,
            date=key[1],
            actual_start=clean["actual_start"],
            actual_end=clean["actual_end"],
            carers=clean["carers"],
            recorded_at=now,
            recorded_by_id=by_id,
        )
        yield _delivered(package, planned, terms[provider.id], visit)


def _day_of(care, key, book, terms):
    """(package, the provider caring for it that day (a hand-back's old or new one), its
    base rate, the day's planned visits) for (package id, day); the provider's pay terms
    into `terms`."""
    package_id, day = key
    package = care.packages[package_id]
    provider = care.placement_on(package_id, day).provider
    if provider.pk not in terms:
        terms[provider.pk] = pay.PayTerms.of(provider)
    base_rate = book.rate_on(provider.pk, package.zone_id, day)
    return package, provider, base_rate, schedule.planned_visits_on(package, day)


def insert_rows(visits, report=lambda done: None):
    """Write the visits (VisitRows) in multi-row INSERTs; their ids, in order."""
    if not visits:
        return []
    table = connection.ops.quote_name(DeliveredVisit._meta.db_table)
    fields = [DeliveredVisit._meta.get_field(name) for name in COLUMNS]
    size = min(INSERT_ROWS, connection.ops.bulk_batch_size(fields, visits) or len(visits))
    # Every visit of a file is recorded at the same moment: adapted for the database once.
    recorded_at = fields[COLUMNS.index("recorded_at")].get_db_prep_save(
        visits[0].recorded_at, connection
    )
    values = [name if name != "recorded_at" else None for name in COLUMNS]
    adapt = _adapters(fields)
    row = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(visits), size):
            batch = visits[start : start + size]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES "
                f"{', '.join([row] * len(batch))} RETURNING id",
                [
                    recorded_at if name is None else to_db(getattr(visit, name))
                    for visit in batch
                    for name, to_db in zip(values, adapt, strict=True)
                ],
            )
            ids += [pk for (pk,) in cursor.fetchall()]
            report(start + len(batch))
    return ids


def _adapters(fields):
    """How each column's value is handed to the driver. psycopg2 takes dates, times and
    decimals as they are; SQLite's driver refuses a time, so there each value goes through
    its field's own preparation, as the ORM would do."""
    if connection.vendor == "postgresql":
        return [_as_is] * len(fields)
    return [functools.partial(_prepared, field) for field in fields]


def _as_is(value):
    return value


def _prepared(field, value):
    return field.get_db_prep_save(value, connection)


def _copy(visits, report):
    """Write the visits (an iterable of VisitRows) by one COPY on PostgreSQL, the text of
    each made as the database reads the last (it stores 50,000 rows of a file while they
    are priced, on a core of its own, not after); by multi-row INSERTs elsewhere. The
    visits written, in a list."""
    if connection.vendor != "postgresql":
        visits = list(visits)
        insert_rows(visits, report)
        return visits
    table = connection.ops.quote_name(DeliveredVisit._meta.db_table)
    # No column is text, so each value is written as Python writes it: PostgreSQL reads
    # True and False as booleans, and None is named the NULL.
    sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN WITH (NULL 'None')"
    copied = []
    stream = _Stream(_copy_text(visits, copied, report))
    with connection.cursor() as cursor:
        try:
            cursor.copy_expert(sql, stream, COPY_READ)
        except Exception:
            # The driver ends the COPY with an error of its own: the visit's is the one.
            if stream.error is not None:
                raise stream.error from None
            raise
    return copied


COPY_ROWS = 1_000  # rows made into text at once
COPY_READ = 64 * 1024  # characters COPY asks for at once


def _copy_text(visits, copied, report):
    """The COPY text of the visits, COPY_ROWS at a time; each visit into `copied`."""
    # A file repeats its rates, dates and times thousands of times: each is written once.
    rates, dates, times, moments = _Texts(), _Texts(), _Texts(), _Texts()
    rows = []
    for done, v in enumerate(visits, start=1):
        copied.append(v)
        # COLUMNS, in order.
        rows.append(
            f"{v.package_id}\t{v.provider_id}\t{v.zone_id}\t{rates[v.base_rate]}\t"
            f"{dates[v.date]}\t{times[v.actual_start]}\t{times[v.actual_end]}\t{v.carers}\t"
            f"{v.planned_visit_id}\t{times[v.planned_start]}\t{v.planned_minutes}\t"
            f"{v.planned_carers}\t{v.actual_minutes}\t{v.payable_minutes}\t{v.missed}\t"
            f"{v.short}\t{v.late}\t{v.unplanned}\t{moments[v.recorded_at]}\t"
            f"{v.recorded_by_id}\n"
        )
        report(done)
        if len(rows) == COPY_ROWS:
            yield "".join(rows)
            rows = []
    if rows:
        yield "".join(rows)


class _Texts(dict):
    """Values as text, each converted once."""

    def __missing__(self, value):
        self[value] = text = str(value)
        return text


class _Stream:
    """A file of the texts `parts` yields, read as COPY reads a file (`read(size)`)."""

    def __init__(self, parts):
        self._parts = parts
        self._text = ""
        self.error = None  # what making the text raised, if anything

    def read(self, size=-1):
        while size < 0 or len(self._text) < size:
            try:
                part = next(self._parts, None)
            except Exception as error:
                self.error = error
                raise
            if part is None:
                break
            self._text += part
        if size < 0:
            size = len(self._text)
        text, self._text = self._text[:size], self._text[size:]
        return text


def _fulfilled(checked):
    """{(package, date): {planned visit ids already fulfilled by a recorded visit}}."""
    fulfilled = defaultdict(set)
    if not checked:
        return fulfilled
    dates = [clean["date"] for clean in checked]
    rows = DeliveredVisit.objects.filter(
        package_id__in={clean["package"] for clean in checked},
        date__range=(min(dates), max(dates)),
        actual_start__isnull=False,
        planned_visit__isnull=False,
    ).values_list("package_id", "date", "planned_visit_id")
    for package_id, day, planned_id in rows:
        fulfilled[(package_id, day)].add(planned_id)
    return fulfilled


def _match(planned, clean, taken):
    """The planned visit (of those on that day) nearest in time to the actual start, not yet
    taken (ties: the earlier planned, then the first recorded)."""
    start, best, nearest = clean["actual_start"], None, None
    for visit in planned:
        if visit.id in taken:
            continue
        key = (abs(pay.minutes_after(visit.time, start)), visit.time, visit.id)
        if nearest is None or key < nearest:
            best, nearest = visit, key
    return best


def _delivered(package, planned, terms, visit):
    day = visit.date
    actual = pay.actual_minutes(day, visit.actual_start, visit.actual_end)
    visit.actual_minutes = actual
    visit.missed = actual == 0
    if planned is not None:
        planned_minutes = pay.planned_minutes_on(day, planned.time, planned.duration_minutes)
        visit.planned_visit_id, visit.planned_start = planned.id, planned.time
        visit.planned_minutes, visit.planned_carers = planned_minutes, planned.carers
        per_carer = pay.payable_minutes(actual=actual, planned=planned_minutes, terms=terms)
        carers = pay.paid_carers(delivered=visit.carers, planned=planned.carers)
        visit.short = not visit.missed and (
            per_carer < planned_minutes or visit.carers < planned.carers
        )
        visit.late = pay.minutes_after(planned.time, visit.actual_start) > pay.LATE_AFTER_MINUTES
    else:
        # Not in the schedule: only a flexible plan pays for it (within its 4-week cap).
        visit.unplanned = True
        flexible = schedule.plan_on(package, day) is not None
        per_carer = pay.payable_minutes(actual=actual, planned=None, terms=terms) if flexible else 0
        carers = visit.carers
    visit.payable_minutes = per_carer * carers
    return visit
