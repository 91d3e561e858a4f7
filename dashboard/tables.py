"""The dashboard's tables: each column a header and how to read its cell from a row.

A table is shown on its page and downloaded as its CSV (`?format=csv&table=NAME`)
from the same columns, so the two never disagree. The rows are the selectors'
dicts; the columns here say how each is shown.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from urllib.parse import quote

from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from core.formats import date_text, hours_text, pounds_text
from core.pages import PAGE_SIZE
from core.tables import Column, cells, headers


@dataclass
class Link:
    text: object
    href: str

    def __str__(self):
        return str(self.text)


class Pounds(Decimal):
    """An amount: £1,234.56 on the page, a plain decimal in the CSV."""


@dataclass
class Table:
    """A table as the page shows it and as its CSV holds it."""

    name: str
    caption: str
    columns: list[Column]
    records: list
    numeric_from: int = 1  # columns from this one on are numbers, aligned right
    paginated: bool = False
    page: object = field(default=None)
    previous_href: str = ""
    next_href: str = ""
    shown_records: list | None = None  # the records of the page shown, when paginated

    @property
    def header(self) -> list[str]:
        return headers(self.columns)

    @cached_property
    def rows(self) -> list[list]:
        return [cells(self.columns, record) for record in self.records]

    def csv_rows(self):
        return ([str(c) if isinstance(c, Link) else c for c in row] for row in self.rows)

    @property
    def visible_rows(self):
        if self.shown_records is None:
            return self.rows
        return [cells(self.columns, record) for record in self.shown_records]

    def body_html(self):
        """The rows as GOV.UK table markup, built here because a national table is long
        and the template language would spend most of the page's time on it."""
        rows = [
            "".join(_cell_html(cell, index, self.numeric_from) for index, cell in enumerate(row))
            for row in self.visible_rows
        ]
        # Safe: _cell_html escapes every cell.
        return mark_safe("".join(f'<tr class="govuk-table__row">{cells}</tr>' for cells in rows))

    def paginate(self, request):
        """Show one page of rows; each table has its own page parameter (`NAME-page`)."""
        self.show_page(request, Paginator(self.records, PAGE_SIZE), f"{self.name}-page")
        self.shown_records = list(self.page.object_list)

    def show_page(self, request, paginator, parameter):
        self.page = paginator.get_page(request.GET.get(parameter))

        def href(number):
            query = request.GET.copy()
            query[parameter] = number
            return "?" + query.urlencode()

        if self.page.has_previous():
            self.previous_href = href(self.page.previous_page_number())
        if self.page.has_next():
            self.next_href = href(self.page.next_page_number())


def _cell_html(cell, index, numeric_from):
    # A date reads "14 Sep 2026" on the page, as everywhere, an amount "£1,234.56"; the
    # CSV keeps 2026-09-14 and 1234.56.
    if isinstance(cell, Pounds):
        text = escape(pounds_text(cell))
    else:
        text = escape(date_text(cell) if isinstance(cell, datetime.date) else text_of(cell))
    if isinstance(cell, Link):
        text = f'<a class="govuk-link" href="{escape(cell.href)}">{text}</a>'
    if index == 0:
        return f'<th scope="row" class="govuk-table__header">{text}</th>'
    numeric = " govuk-table__cell--numeric" if index >= numeric_from else ""
    return f'<td class="govuk-table__cell{numeric}">{text}</td>'


# --- how numbers are shown ----------------------------------------------------------


def text_of(value):
    return "" if value is None else value


def percent(value):
    return "" if value is None else f"{value:g}%"


def whole(value):
    """Hours waited to the hour: a commissioner reads 98, not 98.0."""
    return "" if value is None else round(value)


def two_places(value):
    return f"{value:.2f}"


def key(name, shown=text_of):
    """A column's cell: the row's `name`, shown by `shown`."""
    return lambda row: shown(row[name])


def open_packages_href():
    """The packages list filtered to open packages; a zone's code completes it."""
    return reverse("packages:list") + "?status=open&zone="


# --- the columns of each table ------------------------------------------------------


def unfilled_columns(packages_href):
    return [
        Column("Zone", lambda z: Link(z["zone"], packages_href + quote(z["zone"]))),
        Column("Name", key("name")),
        Column("Open packages", key("packages")),
        Column("Weekly hours", key("hours", hours_text)),
        Column("People", key("people")),
        Column("Longest wait (hours)", key("longest_wait_hours", whole)),
        Column("People waiting in hospital", key("hospital_people")),
        Column("Longest hospital wait (days)", key("hospital_longest_days")),
    ]


FILL = [
    Column("Placed", key("placed")),
    Column("Median (minutes)", key("median_minutes")),
    Column("90th percentile (minutes)", key("p90_minutes")),
    Column("Within 1.5 hours", key("within_90_minutes_percent", percent)),
    Column("Within 4 hours", key("within_4_hours_percent", percent)),
]
FILL_BY_WEEK = [Column("Week starting", key("week_start")), *FILL]
FILL_BY_PRIORITY = [Column("Priority", key("label")), *FILL]
FILL_BY_ZONE = [Column("Zone", key("zone")), Column("Name", key("name")), *FILL]

PROVIDER = [Column("Provider", key("provider")), Column("Name", key("name"))]
PROVIDER_OFFERS = [
    *PROVIDER,
    Column("Offers received", key("offers")),
    Column("Accepted", key("accepted")),
    Column("Declined", key("declined")),
    Column("Expired", key("expired")),
    Column("Acceptance rate", key("acceptance_percent", percent)),
    Column("Median minutes to answer", key("median_answer_minutes")),
    Column("Hand-backs", key("hand_backs")),
]
PROVIDER_CAPACITY = [
    *PROVIDER,
    Column("Weekly hours placed now", key("placed_hours", hours_text)),
    Column("Spare hours declared", key("capacity_hours", hours_text)),
    Column("Weekly hours newly placed", key("new_hours", hours_text)),
    Column("Invoices (12 months)", key("invoices")),
    Column("Paid on time", key("paid_on_time_percent", percent)),
]
ZONE_SHARES = [
    Column("Zone", key("zone")),
    Column("Provider", key("provider")),
    Column("Name", key("provider_name")),
    Column("Live packages", key("packages")),
    Column("Weekly hours", key("hours", hours_text)),
    Column("Share", key("share_percent", percent)),
]

SPEND = [
    Column("Hours commissioned", key("commissioned_hours", two_places)),
    Column("Hours delivered", key("delivered_hours", two_places)),
    Column("Hours payable", key("payable_hours", two_places)),
    Column("£ commissioned", key("commissioned_pounds", Pounds)),
    Column("£ delivered", key("delivered_pounds", Pounds)),
    Column("£ payable", key("payable_pounds", Pounds)),
    Column("£ paid", key("paid_pounds", Pounds)),
]


GUARANTEES = [
    Column("Zone", key("zone")),
    Column("Provider", key("provider")),
    Column("Role", key("role")),
    Column("Guaranteed hours a week", key("guaranteed_hours", hours_text)),
    Column("Used (placed weekly hours)", key("used_hours", hours_text)),
    Column("Not yet filled", key("unfilled_hours", hours_text)),
]


def spend_by_period(period_label):
    """Rows: periods; each period's totals."""
    return [
        Column("Period", period_label),
        *(Column(c.header, lambda p, c=c: c.value(p["total"])) for c in SPEND),
    ]


def spend_by_zone(period_label):
    """Rows: (period, zone) pairs."""
    return [
        Column("Period", lambda pair: period_label(pair[0])),
        Column("Zone", lambda pair: pair[1]["zone"]),
        *(Column(c.header, lambda pair, c=c: c.value(pair[1])) for c in SPEND),
    ]


OUTCOMES = [Column("Measure", key("measure")), Column("Value", key("value"))]
