"""The Django admin shows the market for reference; changes go through the pages and the API,
whose services keep the rules (one primary per zone, rota shares, capacity on Mondays)."""

from django.contrib import admin

from zones.admin import ReadOnlyAdmin

from .models import Capacity, Contract, Provider, Rate


@admin.register(Provider)
class ProviderAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "name",
        "cqc_rating",
        "status",
        "lot",
        "weekly_hours_cap",
    ]
    list_filter = ["status", "cqc_rating", "lot"]
    search_fields = ["code", "name", "cqc_location_id"]


@admin.register(Contract)
class ContractAdmin(ReadOnlyAdmin):
    list_display = [
        "zone",
        "provider",
        "role",
        "share_percent",
        "starts_on",
        "ends_on",
        "guaranteed_hours",
    ]
    list_filter = ["role", "zone"]
    list_select_related = ["zone", "provider"]


@admin.register(Capacity)
class CapacityAdmin(ReadOnlyAdmin):
    list_display = ["provider", "zone", "week_start", "hours", "declared_at"]
    list_filter = ["zone", "week_start"]
    list_select_related = ["zone", "provider"]


@admin.register(Rate)
class RateAdmin(ReadOnlyAdmin):
    list_display = ["provider", "zone", "hourly_rate", "effective_from", "created_at"]
    list_filter = ["zone"]
    list_select_related = ["zone", "provider"]
