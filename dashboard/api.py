"""The dashboard's numbers as JSON: the same selectors as the pages.

Hours and money are decimal strings (as everywhere in the API), percentages
and minutes numbers (null when nothing was placed).
"""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import PageNumberPagination
from core.permissions import role_permission

from . import selectors
from .filters import DashboardFilterForm, SinceFilterForm, ZoneFilterForm
from .permissions import DASHBOARD_ROLES

ZONE_PARAMETER = OpenApiParameter(
    "zone", str, many=True, description="Zone codes (repeat, or separate by commas)."
)
DATE_PARAMETERS = [
    OpenApiParameter(
        "since", OpenApiTypes.DATE, description="First UK date (default: 12 weeks ago)."
    ),
    OpenApiParameter("until", OpenApiTypes.DATE, description="Last UK date (default: today)."),
]


def hours_text(value):
    return f"{value:.2f}"


class DashboardAPIView(APIView):
    permission_classes = [role_permission(read_roles=DASHBOARD_ROLES)]
    filter_form = DashboardFilterForm

    def scope(self, request):
        form = self.filter_form(request.query_params, user=request.user)
        if not form.is_valid():
            raise ValidationError(_messages(form))
        return form.scope()


def _messages(form):
    return {field: [str(message) for message in errors] for field, errors in form.errors.items()}


def _unfilled_json(numbers):
    return {**numbers, "hours": hours_text(numbers["hours"])}


class UnfilledView(DashboardAPIView):
    filter_form = ZoneFilterForm

    @extend_schema(
        summary="Unfilled now, by zone",
        parameters=[ZONE_PARAMETER],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        report = selectors.unfilled_by_zone(self.scope(request))
        return Response(
            {
                "zones": [_unfilled_json(row) for row in report["zones"]],
                "total": _unfilled_json(report["total"]),
            }
        )


class TimeToFillView(DashboardAPIView):
    filter_form = SinceFilterForm

    @extend_schema(
        summary="Time to fill (submitted to placed) of packages placed since a date",
        parameters=[ZONE_PARAMETER, *DATE_PARAMETERS],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        scope = self.scope(request)
        return Response(
            {"since": scope.since, "until": scope.until, **selectors.time_to_fill(scope)}
        )


class TimeToFillBreakdownView(DashboardAPIView):
    @extend_schema(
        summary="Time to fill by zone, by priority and week by week",
        parameters=[ZONE_PARAMETER, *DATE_PARAMETERS],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        scope = self.scope(request)
        breakdown = selectors.time_to_fill_breakdown(scope)
        return Response(
            {
                "since": scope.since,
                "until": scope.until,
                "by_zone": breakdown["by_zone"],
                "by_priority": breakdown["by_priority"],
                "by_week": breakdown["by_week"],
            }
        )


def _decimals_as_text(row):
    return {k: f"{v:.2f}" if isinstance(v, Decimal) else v for k, v in row.items()}


class ProvidersView(DashboardAPIView):
    """The providers offered work in the window, most offers first, a page at a time."""

    @extend_schema(
        summary="Provider performance (paginated)",
        parameters=[ZONE_PARAMETER, *DATE_PARAMETERS],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        scope = self.scope(request)
        paginator = PageNumberPagination()
        ranked = selectors.providers_offered_work(scope)
        ranked.read_page(
            request.query_params.get(paginator.page_query_param), paginator.get_page_size(request)
        )
        ids = paginator.paginate_queryset(ranked, request, self)
        rows = selectors.provider_performance(scope, ids)
        return paginator.get_paginated_response([_decimals_as_text(row) for row in rows])


class ProviderSharesView(DashboardAPIView):
    """Each provider's share of the weekly hours placed in each zone (paginated)."""

    @extend_schema(
        summary="Share of placed hours by zone and provider (paginated)",
        parameters=[ZONE_PARAMETER],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        paginator = PageNumberPagination()
        rows = paginator.paginate_queryset(
            selectors.placed_hours_by_zone(self.scope(request)), request, self
        )
        return paginator.get_paginated_response([_decimals_as_text(row) for row in rows])


class SpendView(DashboardAPIView):
    @extend_schema(
        summary="Commissioned, delivered and payable hours and pounds by zone per 4-week period",
        parameters=[ZONE_PARAMETER, *DATE_PARAMETERS],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        periods = selectors.spend_by_zone_and_period(self.scope(request))
        return Response(
            {
                "periods": [
                    {
                        "since": period["start"],
                        "until": period["end"],
                        "total": _decimals_as_text(period["total"]),
                        "zones": [_decimals_as_text(zone) for zone in period["zones"]],
                    }
                    for period in periods
                ]
            }
        )


class OutcomesView(DashboardAPIView):
    @extend_schema(
        summary="Reviews due and overdue, hours released by reviews, reablement outcomes, "
        "people referred again within 12 months",
        parameters=[ZONE_PARAMETER, *DATE_PARAMETERS],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        scope = self.scope(request)
        figures = selectors.outcomes(scope)
        for name in ("hours_before", "hours_after", "hours_released"):
            figures[name] = hours_text(figures[name])
        return Response({"since": scope.since, "until": scope.until, **figures})
