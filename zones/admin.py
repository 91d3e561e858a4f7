"""The Django admin shows zones for reference; changes go through the zone pages and the API,
whose services keep the rules (a district in one zone only, rota shares)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyMixin

from .models import PostcodeDistrict, Zone


class DistrictInline(ReadOnlyMixin, admin.TabularInline):
    model = PostcodeDistrict
    extra = 0


@admin.register(Zone)
class ZoneAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "allocation_mode", "offer_window_minutes", "rotation_weeks"]
    list_filter = ["allocation_mode"]
    search_fields = ["code", "name", "districts__district"]
    inlines = [DistrictInline]
