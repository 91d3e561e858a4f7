"""The dashboard pages: unfilled now, time to fill, providers, spend.

Each page shows tables built from one selector each; the same table is the
page's CSV download (`?format=csv&table=NAME`), so the two never disagree.
"""

import datetime
from dataclasses import dataclass, field
from urllib.parse import quote

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views import View

from core.exports import csv_response
from core.pages import PAGE_SIZE, wants_csv
from core.permissions import RoleRequiredMixin
from zones.models import PostcodeDistrict

from . import selectors
from .filters import (
    MAX_ZONE_CHECKBOXES,
    DashboardFilterForm,
    ZoneFilterForm,
    zone_choices,
    zone_choices_exceeded,
)
from .geography import DISTRICT_CENTRES, zone_points
from .permissions import DASHBOARD_ROLES


@dataclass
class Link:
    text: object
    href: str

    def __str__(self):
        return str(self.text)


@dataclass
class Table:
    """A table as the page shows it and as its CSV holds it."""

    name: str
    caption: str
    header: list[str]
    rows: list[list]
    numeric_from: int = 1  # columns from this one on are numbers, aligned right
    paginated: bool = False
    page: object = field(default=None)
    previous_href: str = ""
    next_href: str = ""
    shown_rows: list | None = None  # the rows of the page shown, when paginated

    @property
    def visible_rows(self):
        return self.rows if self.shown_rows is None else self.shown_rows

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
        self.show_page(request, Paginator(self.rows, PAGE_SIZE), f"{self.name}-page")
        self.shown_rows = list(self.page.object_list)

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
    text = escape(_text(cell))
    if isinstance(cell, Link):
        text = f'<a class="govuk-link" href="{escape(cell.href)}">{text}</a>'
    if index == 0:
        return f'<th scope="row" class="govuk-table__header">{text}</th>'
    numeric = " govuk-table__cell--numeric" if index >= numeric_from else ""
    return f'<td class="govuk-table__cell{numeric}">{text}</td>'


def _text(value):
    return "" if value is None else value


def _percent(value):
    return "" if value is None else f"{value:g}%"


def _whole(value):
    """Hours waited to the hour: a commissioner reads 98, not 98.0."""
    return "" if value is None else round(value)


def _hours(value):
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _open_packages_href():
    """The packages list filtered to open packages; a zone's code completes it."""
    return reverse("packages:list") + "?status=open&zone="


SECTIONS = [
    ("index", "Unfilled now"),
    ("time_to_fill", "Time to fill"),
    ("providers", "Providers"),
    ("spend", "Spend"),
]
FILTERS = ("zone", "since", "until")


class DashboardPage(RoleRequiredMixin, View):
    allowed_roles = DASHBOARD_ROLES
    template_name = ""
    section = ""
    filter_form = DashboardFilterForm

    def get(self, request):
        form = self.filter_form(request.GET, user=request.user)
        context = {
            "form": form,
            "section": self.section,
            "sections": SECTIONS,
            "uses_dates": "since" in form.fields,
            "zone_choices": zone_choices(request.user),
            "chosen_zones": request.GET.getlist("zone"),
            "filter_query": urlencode(
                [(k, v) for k in FILTERS for v in request.GET.getlist(k) if v]
            ),
        }
        if form.is_valid():
            scope = form.scope()
            numbers = self.numbers(scope, request)
            tables = {table.name: table for table in numbers["tables"]}
            if wants_csv(request):
                table = tables.get(request.GET.get("table", ""))
                if table is None:
                    raise Http404("No such table.")
                rows = (
                    [str(cell) if isinstance(cell, Link) else cell for cell in row]
                    for row in table.rows
                )
                return csv_response(f"dashboard-{table.name}", table.header, rows)
            for table in tables.values():
                if table.paginated and table.page is None:
                    table.paginate(request)
            context.update(scope=scope, **numbers)
        return render(request, self.template_name, context)

    def numbers(self, scope, request) -> dict:
        raise NotImplementedError


class UnfilledPage(DashboardPage):
    template_name = "dashboard/unfilled.html"
    section = "index"
    filter_form = ZoneFilterForm

    def numbers(self, scope, request):
        report = selectors.unfilled_by_zone(scope)
        zones = sorted(report["zones"], key=lambda z: (-z["hours"], -z["people"], z["zone"]))
        total = report["total"]
        href = _open_packages_href()
        # Past a county's size, the page lists the zones with something unfilled;
        # the download has them all.
        quiet = 0
        if len(zones) > MAX_ZONE_CHECKBOXES and not wants_csv(request):
            listed = [z for z in zones if z["packages"]]
            quiet, zones = len(zones) - len(listed), listed
        table = Table(
            name="unfilled",
            caption="Unfilled packages by zone",
            header=[
                "Zone",
                "Name",
                "Open packages",
                "Weekly hours",
                "People",
                "Longest wait (hours)",
                "People waiting in hospital",
                "Longest hospital wait (days)",
            ],
            rows=[
                [
                    Link(z["zone"], href + quote(z["zone"])),
                    z["name"],
                    z["packages"],
                    _hours(z["hours"]),
                    z["people"],
                    _whole(z["longest_wait_hours"]),
                    z["hospital_people"],
                    _text(z["hospital_longest_days"]),
                ]
                for z in zones
            ],
            numeric_from=2,
            paginated=True,
        )
        charted = [z for z in zones if z["packages"]][:20]
        return {
            "total": total,
            "quiet_zones": quiet,
            "tables": [table],
            "chart": {
                "type": "bar",
                "labels": [z["zone"] for z in charted],
                "datasets": [
                    {
                        "label": "Unfilled weekly hours",
                        "data": [float(z["hours"]) for z in charted],
                    },
                    # A handful of people beside tens of hours: on a scale of their own.
                    {
                        "label": "People waiting (right scale)",
                        "data": [z["people"] for z in charted],
                        "axis": "right",
                    },
                ],
            },
            "map": {"packages_href": href, "zones": _map_data(scope, zones)},
        }


def _map_data(scope, zones):
    districts = {z["zone"]: [] for z in zones}
    # Only districts with a known centre place a zone (the others go on a grid): a few
    # dozen rows, where the districts of the zones shown are thousands nationally.
    rows = PostcodeDistrict.objects.filter(district__in=DISTRICT_CENTRES).values_list(
        "zone__code", "district"
    )
    for code, district in rows:
        if code in districts:
            districts[code].append(district)
    points = zone_points(districts)
    return [
        {
            "zone": z["zone"],
            "name": z["name"],
            "lat": points[z["zone"]][0],
            "lon": points[z["zone"]][1],
            "hours": float(z["hours"]),
            "packages": z["packages"],
            "people": z["people"],
        }
        for z in zones
    ]


def _fill_cells(row):
    return [
        row["placed"],
        _text(row["median_minutes"]),
        _text(row["p90_minutes"]),
        _percent(row["within_90_minutes_percent"]),
        _percent(row["within_4_hours_percent"]),
    ]


FILL_HEADER = [
    "Placed",
    "Median (minutes)",
    "90th percentile (minutes)",
    "Within 1.5 hours",
    "Within 4 hours",
]


def _week_label(monday, scope):
    """A week as the trend names it, "23 Nov"; one the window cuts (this week, so far)
    says so, because its few placements swing its percentages."""
    cut = monday < scope.since or monday + datetime.timedelta(days=6) > scope.until
    return f"{monday:%-d %b}" + (" (part)" if cut else "")


class TimeToFillPage(DashboardPage):
    template_name = "dashboard/time_to_fill.html"
    section = "time_to_fill"

    def numbers(self, scope, request):
        # The zone table shows a page of zones, and only those are measured (all of
        # them for a download): a national window's 1,500 medians cost most of the page.
        zone_pages = Paginator(
            scope.zones().order_by("code").values_list("pk", flat=True), PAGE_SIZE
        )
        page = None if wants_csv(request) else zone_pages.get_page(request.GET.get("zones-page"))
        breakdown = selectors.time_to_fill_breakdown(
            scope, zone_ids=None if page is None else list(page.object_list)
        )
        summary = breakdown["overall"]
        weeks = breakdown["by_week"]
        priorities = breakdown["by_priority"]
        zones = breakdown["by_zone"]
        tables = [
            Table(
                name="weeks",
                caption="Week by week",
                header=["Week starting", *FILL_HEADER],
                rows=[[w["week_start"].isoformat(), *_fill_cells(w)] for w in weeks],
            ),
            Table(
                name="priorities",
                caption="By priority",
                header=["Priority", *FILL_HEADER],
                rows=[[p["label"], *_fill_cells(p)] for p in priorities],
            ),
            Table(
                name="zones",
                caption="By zone",
                header=["Zone", "Name", *FILL_HEADER],
                rows=[[z["zone"], z["name"], *_fill_cells(z)] for z in zones],
                numeric_from=2,
                paginated=True,
            ),
        ]
        if page is not None:
            tables[-1].show_page(request, zone_pages, "zones-page")
        return {
            "summary": summary,
            "targets": selectors.FILL_TARGETS,
            "tables": tables,
            "chart": {
                "type": "line",
                "labels": [_week_label(w["week_start"], scope) for w in weeks],
                "datasets": [
                    {
                        "label": "Within 1.5 hours (%)",
                        "data": [w["within_90_minutes_percent"] for w in weeks],
                    },
                    {
                        "label": "Within 4 hours (%)",
                        "data": [w["within_4_hours_percent"] for w in weeks],
                    },
                    {
                        "label": "Target within 1.5 hours (70%)",
                        "data": [selectors.FILL_TARGETS["within_90_minutes_percent"]] * len(weeks),
                        "target_of": 0,
                    },
                    {
                        "label": "Target within 4 hours (97%)",
                        "data": [selectors.FILL_TARGETS["within_4_hours_percent"]] * len(weeks),
                        "target_of": 1,
                    },
                ],
                "max": 100,
            },
        }


class ProvidersPage(DashboardPage):
    template_name = "dashboard/providers.html"
    section = "providers"

    def numbers(self, scope, request):
        # Ranked first, then the numbers for one page of providers only (all for a CSV).
        ranked = selectors.providers_offered_work(scope)
        paginator = Paginator(ranked, PAGE_SIZE)
        page = None if wants_csv(request) else paginator.get_page(request.GET.get("providers-page"))
        providers = selectors.provider_performance(scope, page.object_list if page else ranked)
        # Shares are read zone by zone: listed for a county's zones, or for chosen ones.
        shares_shown = scope.zone_ids is not None or not zone_choices_exceeded(request.user)
        shares = selectors.placed_hours_by_zone(scope) if shares_shown else []
        tables = [
            Table(
                name="providers",
                caption="Offers and answers",
                header=[
                    "Provider",
                    "Name",
                    "Offers received",
                    "Accepted",
                    "Declined",
                    "Expired",
                    "Acceptance rate",
                    "Median minutes to answer",
                    "Hand-backs",
                ],
                rows=[
                    [
                        p["provider"],
                        p["name"],
                        p["offers"],
                        p["accepted"],
                        p["declined"],
                        p["expired"],
                        _percent(p["acceptance_percent"]),
                        _text(p["median_answer_minutes"]),
                        p["hand_backs"],
                    ]
                    for p in providers
                ],
                numeric_from=2,
                paginated=True,
            ),
            Table(
                name="capacity",
                caption="Hours, capacity and payment",
                header=[
                    "Provider",
                    "Name",
                    "Weekly hours placed now",
                    "Spare hours declared",
                    "Weekly hours newly placed",
                    "Invoices (12 months)",
                    "Paid on time",
                ],
                rows=[
                    [
                        p["provider"],
                        p["name"],
                        _hours(p["placed_hours"]),
                        _hours(p["capacity_hours"]),
                        _hours(p["new_hours"]),
                        p["invoices"],
                        _percent(p["paid_on_time_percent"]),
                    ]
                    for p in providers
                ],
                numeric_from=2,
                paginated=True,
            ),
            Table(
                name="shares",
                caption="Share of placed hours in each zone",
                header=["Zone", "Provider", "Name", "Live packages", "Weekly hours", "Share"],
                rows=[
                    [
                        s["zone"],
                        s["provider"],
                        s["provider_name"],
                        s["packages"],
                        _hours(s["hours"]),
                        _percent(s["share_percent"]),
                    ]
                    for s in shares
                ],
                numeric_from=3,
                paginated=True,
            ),
        ]
        if page is not None:
            for table in tables[:2]:
                table.paginated = True
                table.show_page(request, paginator, "providers-page")
        if not shares_shown:
            tables.pop()
        charted = providers[:15]
        return {
            "tables": tables,
            "shares_shown": shares_shown,
            "provider_count": len(ranked),
            "chart": {
                "type": "bar",
                "labels": [p["provider"] for p in charted],
                "datasets": [
                    {"label": "Offers received", "data": [p["offers"] for p in charted]},
                    {"label": "Accepted", "data": [p["accepted"] for p in charted]},
                    {"label": "Hand-backs", "data": [p["hand_backs"] for p in charted]},
                ],
            },
        }


SPEND_HEADER = [
    "Hours commissioned",
    "Hours delivered",
    "Hours payable",
    "£ commissioned",
    "£ delivered",
    "£ payable",
]
SPEND_COLUMNS = (
    "commissioned_hours",
    "delivered_hours",
    "payable_hours",
    "commissioned_pounds",
    "delivered_pounds",
    "payable_pounds",
)


def _period_label(period):
    """A period as "7 Sep to 4 Oct 2026"; one cut short by the window's end says so, so
    that its smaller sums are not read as a fall in spend."""
    start, end = period["start"], period["end"]
    first = f"{start:%-d %b}" if start.year == end.year else f"{start:%-d %b %Y}"
    text = f"{end:%-d %b %Y}" if start == end else f"{first} to {end:%-d %b %Y}"
    if (end - start).days < selectors.PERIOD_DAYS - 1:
        text += " (part)"
    return text


def _spend_cells(row):
    return [f"{row[m]:.2f}" for m in SPEND_COLUMNS]


class SpendPage(DashboardPage):
    template_name = "dashboard/spend.html"
    section = "spend"

    def numbers(self, scope, request):
        periods = selectors.spend_by_zone_and_period(scope)
        tables = [
            Table(
                name="periods",
                caption="Spend by 4-week period",
                header=["Period", *SPEND_HEADER],
                rows=[[_period_label(p), *_spend_cells(p["total"])] for p in periods],
            ),
            Table(
                name="zones",
                caption="Spend by zone and period",
                header=["Period", "Zone", *SPEND_HEADER],
                rows=[
                    [_period_label(p), z["zone"], *_spend_cells(z)]
                    for p in periods
                    for z in p["zones"]
                ],
                numeric_from=2,
                paginated=True,
            ),
        ]
        return {
            "tables": tables,
            "chart": {
                "type": "bar",
                "labels": [_period_label(p) for p in periods],
                "datasets": [
                    {
                        "label": "Commissioned £",
                        "data": [float(p["total"]["commissioned_pounds"]) for p in periods],
                    },
                    {
                        "label": "Delivered £",
                        "data": [float(p["total"]["delivered_pounds"]) for p in periods],
                    },
                    {
                        "label": "Payable £",
                        "data": [float(p["total"]["payable_pounds"]) for p in periods],
                    },
                ],
            },
        }
