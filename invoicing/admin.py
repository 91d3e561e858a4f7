"""Admin: for looking, not for changing. Invoices and payments change only through the
services (a paid invoice never changes), so everything here is read-only."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import DeadlineNotification, DeliveredVisit, Invoice, InvoiceLine, PaymentRun


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "package",
        "commissioned_hours",
        "delivered_hours",
        "payable_hours",
        "rate",
        "amount",
        "visit_count",
        "missed_visits",
        "short_visits",
        "late_visits",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["reference", "provider", "received_on", "due_by", "status", "total", "paid_on"]
    list_filter = ["status"]
    search_fields = ["reference", "provider__code", "provider__name"]
    list_select_related = ["provider"]
    inlines = [InvoiceLineInline]


@admin.register(DeliveredVisit)
class DeliveredVisitAdmin(ReadOnlyAdmin):
    list_display = [
        "package",
        "provider",
        "date",
        "actual_start",
        "actual_end",
        "carers",
        "payable_minutes",
        "missed",
        "short",
        "late",
    ]
    list_filter = ["missed", "short", "late", "unplanned"]
    search_fields = ["provider__code"]
    list_select_related = ["provider"]
    date_hierarchy = "date"


@admin.register(PaymentRun)
class PaymentRunAdmin(ReadOnlyAdmin):
    list_display = ["reference", "paid_on", "total", "created_at", "created_by"]


@admin.register(DeadlineNotification)
class DeadlineNotificationAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "status", "sent_at", "recipients"]
    list_filter = ["status"]
