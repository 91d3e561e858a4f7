"""The Django admin is for looking: every change goes through a service that keeps the rules
and writes the audit trail, so the admin pages add, change and delete nothing."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin


class ReadOnlyMixin:
    """For a ModelAdmin or an inline: the records may be read, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


class AuditEntryAdmin(ReadOnlyMixin, LogEntryAdmin):
    """The audit trail, to read: no one may add, change or delete an entry, not even an admin."""


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AuditEntryAdmin)
