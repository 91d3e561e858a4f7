"""The Django admin shows zones for reference; changes go through the zone pages and the API,
whose services keep the rules (a district in one zone only, rota shares)."""

from django.contrib import admin

from .models import PostcodeDistrict, Zone


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class DistrictInline(ReadOnly, admin.TabularInline):
    model = PostcodeDistrict
    extra = 0


@admin.register(Zone)
class ZoneAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "allocation_mode", "offer_window_minutes", "rotation_weeks"]
    list_filter = ["allocation_mode"]
    search_fields = ["code", "name", "districts__district"]
    inlines = [DistrictInline]
