from django.contrib import admin

from .models import Notification, Offer


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["pk", "package", "provider", "round", "status", "sent_at", "expires_at"]
    list_filter = ["status", "decline_reason", "withdrawn_because"]
    search_fields = ["provider__code", "package__pk"]
    list_select_related = ["provider"]
    raw_id_fields = ["package", "provider", "answered_by", "rota_zone"]
    readonly_fields = ["sent_at", "answered_at", "answered_by"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["pk", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient"]
