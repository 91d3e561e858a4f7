from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


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
