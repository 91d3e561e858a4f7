from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Accounts with their one role, organisation (provider users) and zones (brokers)."""

    list_display = ["username", "role", "provider", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    list_select_related = ["provider"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Role", {"fields": ("role", "provider", "zones")}),
    )
    filter_horizontal = ("zones", "groups", "user_permissions")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Who holds a token and until when; never the key nor its digest. Deleting one revokes it;
    a token is issued only to its holder (POST /api/v1/auth/token/)."""

    list_display = ["user", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "created", "expiry"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
