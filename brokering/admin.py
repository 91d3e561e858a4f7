"""Offers in the Django admin, to look at: they change only through brokering's services
(an offer marked accepted here would leave its package unplaced)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Offer


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ["pk", "package", "provider", "round", "status", "sent_at", "expires_at"]
    list_filter = ["status", "decline_reason", "withdrawn_because"]
    search_fields = ["provider__code", "package__pk"]
    list_select_related = ["provider"]
    raw_id_fields = ["package", "provider", "answered_by", "rota_zone"]
