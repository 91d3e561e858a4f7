"""Admin for support staff: packages and people to look at; the timeline and access log read-only.

Status changes go through the services (and the pages), never through admin
edits, so that every transition is guarded and recorded.
"""

from django.contrib import admin

from .models import FlexiblePlan, HandBack, Package, PackageEvent, Person, PersonAccess, Visit


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VisitInline(admin.TabularInline):
    model = Visit
    extra = 0


class FlexiblePlanInline(admin.StackedInline):
    model = FlexiblePlan
    extra = 0


class PackageEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PackageEvent
    fields = ["at", "kind", "by", "provider", "detail"]
    readonly_fields = fields


@admin.register(Package)
class PackageAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "zone", "priority", "source", "weekly_hours", "provider"]
    list_filter = ["status", "priority", "source", "escalated", "zone"]
    list_select_related = ["zone", "provider"]
    search_fields = ["=id"]
    raw_id_fields = ["person", "created_by"]
    readonly_fields = [
        "status",
        "provider",
        "escalated",
        "escalated_at",
        "brokering_round",
        "submitted_at",
        "waiting_since",
        "placed_at",
        "ended_at",
        "ended_on",
        "cancelled_at",
        "cancel_reason",
        "weekly_hours",
    ]
    inlines = [VisitInline, FlexiblePlanInline, PackageEventInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["id", "family_name", "given_name", "postcode"]
    search_fields = ["=nhs_number", "family_name"]


@admin.register(HandBack)
class HandBackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["package", "provider", "at"]
    list_select_related = ["provider"]


@admin.register(PersonAccess)
class PersonAccessAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The access log is append-only: readable here, never edited or deleted."""

    list_display = ["at", "user", "person", "via", "ip_address"]
    list_select_related = ["user"]
    list_filter = ["at"]
    search_fields = ["=person__id", "user__username"]
