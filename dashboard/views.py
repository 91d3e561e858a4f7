"""The dashboard pages: unfilled now, time to fill, providers, spend.

Each page shows tables (dashboard.tables) built from one selector each, and
charts of the same numbers; a table is also the page's CSV download
(`?format=csv&table=NAME`), so the two never disagree.
"""

import datetime

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.http import urlencode
from django.views import View

from core.exports import csv_response
from core.formats import date_text, hours_text
from core.pages import PAGE_SIZE, wants_csv
from core.permissions import RoleRequiredMixin
from zones.models import PostcodeDistrict

from . import selectors, tables
from .filters import (
    MAX_ZONE_CHECKBOXES,
    DashboardFilterForm,
    ZoneFilterForm,
    zone_choices,
    zone_choices_exceeded,
)
from .geography import DISTRICT_CENTRES, zone_points
from .permissions import DASHBOARD_ROLES
from .tables import Table

SECTIONS = [
    ("index", "Unfilled now"),
    ("time_to_fill", "Time to fill"),
    ("providers", "Providers"),
    ("spend", "Spend"),
    ("outcomes", "Reviews and outcomes"),
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
                return csv_response(f"dashboard-{table.name}", table.header, table.csv_rows())
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
        href = tables.open_packages_href()
        # Past a county's size, the page lists the zones with something unfilled;
        # the download has them all.
        quiet = 0
        if len(zones) > MAX_ZONE_CHECKBOXES and not wants_csv(request):
            listed = [z for z in zones if z["packages"]]
            quiet, zones = len(zones) - len(listed), listed
        table = Table(
            name="unfilled",
            caption="Unfilled packages by zone",
            columns=tables.unfilled_columns(href),
            records=zones,
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


def _week_label(monday, scope):
    """A week as the trend names it, by its Monday ("23 Nov 2026"); one the window cuts
    (this week, so far) says so, because its few placements swing its percentages."""
    cut = monday < scope.since or monday + datetime.timedelta(days=6) > scope.until
    return date_text(monday) + (" (part)" if cut else "")


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
        shown = [
            Table("weeks", "Week by week", tables.FILL_BY_WEEK, weeks),
            Table("priorities", "By priority", tables.FILL_BY_PRIORITY, priorities),
            Table("zones", "By zone", tables.FILL_BY_ZONE, zones, numeric_from=2, paginated=True),
        ]
        if page is not None:
            shown[-1].show_page(request, zone_pages, "zones-page")
        return {
            "summary": summary,
            "targets": selectors.FILL_TARGETS,
            "tables": shown,
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
        page = None
        if not wants_csv(request):
            ranked.read_page(request.GET.get("providers-page"), PAGE_SIZE)
            page = paginator.get_page(request.GET.get("providers-page"))
        providers = selectors.provider_performance(scope, page.object_list if page else ranked)
        # Shares are read zone by zone: listed for a county's zones, or for chosen ones.
        shares_shown = scope.zone_ids is not None or not zone_choices_exceeded(request.user)
        shares = selectors.placed_hours_by_zone(scope) if shares_shown else []
        shown = [
            Table(
                "providers",
                "Offers and answers",
                tables.PROVIDER_OFFERS,
                providers,
                numeric_from=2,
                paginated=True,
            ),
            Table(
                "capacity",
                "Hours, capacity and payment",
                tables.PROVIDER_CAPACITY,
                providers,
                numeric_from=2,
                paginated=True,
            ),
            Table(
                "shares",
                "Share of placed hours in each zone",
                tables.ZONE_SHARES,
                shares,
                numeric_from=3,
                paginated=True,
            ),
        ]
        if page is not None:
            for table in shown[:2]:
                table.show_page(request, paginator, "providers-page")
        if not shares_shown:
            shown.pop()
        charted = providers[:15]
        return {
            "tables": shown,
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


def _period_label(period):
    """A period as "7 Sep 2026 to 4 Oct 2026"; one cut short by the window's end says so,
    so that its smaller sums are not read as a fall in spend."""
    start, end = period["start"], period["end"]
    text = date_text(end) if start == end else f"{date_text(start)} to {date_text(end)}"
    if (end - start).days < selectors.PERIOD_DAYS - 1:
        text += " (part)"
    return text


def _period_labels(periods):
    """`_period_label` of each of `periods`, worked out once: a page's rows repeat them."""
    labels = {period["start"]: _period_label(period) for period in periods}
    return lambda period: labels[period["start"]]


class SpendPage(DashboardPage):
    template_name = "dashboard/spend.html"
    section = "spend"

    def numbers(self, scope, request):
        # The zone table shows a page of (period, zone) rows, and only those are read (all
        # for a download); the totals count every zone.
        pairs = Paginator(range(selectors.spend_row_count(scope)), PAGE_SIZE)
        page = None if wants_csv(request) else pairs.get_page(request.GET.get("zones-page"))
        rows = None if page is None else slice(page.object_list.start, page.object_list.stop)
        periods = selectors.spend_by_zone_and_period(scope, shown=rows)
        by_zone = [(p, z) for p in periods for z in p["zones"]]
        label = _period_labels(periods)
        shown = [
            Table("periods", "Spend by 4-week period", tables.spend_by_period(label), periods),
            Table(
                "zones",
                "Spend by zone and period",
                tables.spend_by_zone(label),
                by_zone,
                numeric_from=2,
                paginated=True,
            ),
            Table(
                "guarantees",
                "Guaranteed hours against hours used",
                tables.GUARANTEES,
                selectors.guaranteed_hours(scope),
                numeric_from=3,
                paginated=True,
            ),
        ]
        if page is not None:
            shown[1].show_page(request, pairs, "zones-page")
        return {
            "tables": shown,
            "chart": {
                "type": "bar",
                "labels": [label(p) for p in periods],
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
                    {
                        "label": "Paid £",
                        "data": [float(p["total"]["paid_pounds"]) for p in periods],
                    },
                ],
            },
        }


def _figure(value, suffix=""):
    return "" if value is None else f"{value}{suffix}"


class OutcomesPage(DashboardPage):
    template_name = "dashboard/outcomes.html"
    section = "outcomes"

    def numbers(self, scope, request):
        figures = selectors.outcomes(scope)
        rows = [
            ("Reviews overdue", figures["overdue"]),
            (f"Reviews due in the next {selectors.REVIEWS_AHEAD_DAYS} days", figures["due_soon"]),
            ("Reviews held", figures["reviews"]),
            ("Weekly hours before those reviews", hours_text(figures["hours_before"])),
            ("Weekly hours after them", hours_text(figures["hours_after"])),
            ("Weekly hours released by reviews", hours_text(figures["hours_released"])),
            ("Reablement packages ended", figures["reablement_ended"]),
            ("… with no ongoing care", _figure(figures["no_ongoing_care_percent"], "%")),
            ("People whose package ended", figures["people_ended"]),
            ("… referred again within 12 months", _figure(figures["referred_again_percent"], "%")),
        ]
        records = [{"measure": measure, "value": value} for measure, value in rows]
        return {
            "figures": figures,
            "tables": [Table("outcomes", "Reviews and outcomes", tables.OUTCOMES, records)],
        }
