"""Admin for support staff: packages and people to look at; the timeline and access log read-only.

Status changes and visits go through the services (and the pages), never
through admin edits, so that every transition is guarded and recorded and the
weekly hours always match the visits.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote

from core.admin import ReadOnlyMixin, when_read

from .models import (
    FlexiblePlan,
    HandBack,
    Package,
    PackageEvent,
    PackageVersion,
    Person,
    PersonAccess,
    Placement,
    Visit,
)
from .services import log_people_access, log_person_access


# Read-only: the weekly hours are worked out from the visits when a version is recorded.
class VisitInline(ReadOnlyMixin, admin.TabularInline):
    model = Visit
    extra = 0


class FlexiblePlanInline(ReadOnlyMixin, admin.StackedInline):
    model = FlexiblePlan
    extra = 0


class PackageVersionInline(ReadOnlyMixin, admin.TabularInline):
    model = PackageVersion
    fields = ["number", "effective_from", "weekly_hours", "reason", "created_at", "created_by"]
    readonly_fields = fields
    show_change_link = True


class PlacementInline(ReadOnlyMixin, admin.TabularInline):
    model = Placement
    fields = ["provider", "starts_on", "ends_on", "placed_at"]
    readonly_fields = fields


class PackageEventInline(ReadOnlyMixin, admin.TabularInline):
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
    inlines = [PackageVersionInline, PlacementInline, PackageEventInline]


@admin.register(PackageVersion)
class PackageVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """A version's visits and plan, read-only: changes go through the package's pages."""

    list_display = ["package", "number", "effective_from", "weekly_hours", "created_at"]
    raw_id_fields = ["package"]
    inlines = [VisitInline, FlexiblePlanInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """People by id: the list shows nobody's identity, and opening a record is logged.

    Searching by NHS number or name would put them in the URL (`?q=`), so the
    search takes an id only.
    """

    list_display = ["id", "created_at", "updated_at"]
    search_fields = ["=id"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        person = self.get_object(request, unquote(object_id))
        if person is not None:
            log_person_access(
                person_id=person.pk, user=request.user, request_or_ip=request, via=request.path
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(HandBack)
class HandBackAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["package", "provider", "at"]
    list_select_related = ["provider"]


def _log_reads(request, person_ids):
    """Reading the audit trail or the access log about people is logged like any other view."""
    log_people_access(
        person_ids=[int(pk) for pk in person_ids],
        user=request.user,
        request_or_ip=request,
        via=request.path,
    )


when_read(Person, _log_reads)


@admin.register(PersonAccess)
class PersonAccessAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The access log is append-only: readable here, never edited or deleted (a database
    trigger refuses both). Reading it is logged in it too: who looked at whose views."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        listing = getattr(response, "context_data", None) or {}
        if "cl" in listing:
            _log_reads(request, [access.person_id for access in listing["cl"].result_list])
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        access = self.get_object(request, unquote(object_id))
        if access is not None:
            _log_reads(request, [access.person_id])
        return super().change_view(request, object_id, form_url, extra_context)

    list_display = ["at", "user", "person", "via", "ip_address"]
    list_select_related = ["user"]
    list_filter = ["at"]
    search_fields = ["=person__id", "user__username"]
