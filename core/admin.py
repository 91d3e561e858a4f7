"""The Django admin is for looking: every change goes through a service that keeps the rules
and writes the audit trail, so the admin pages add, change and delete nothing."""

from collections import defaultdict

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.admin.utils import unquote

# Who must hear when audit entries about a model are read: {model: callback(request, pks)}.
# An entry about a person holds their details (names, dates of birth, addresses, before and
# after a change), so reading it is a view of the record (packages registers the logger).
_readers = {}


def when_read(model, callback) -> None:
    """Call `callback(request, object_pks)` whenever audit entries about `model` are shown."""
    _readers[model] = callback


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
    """The audit trail, to read: no one may add, change or delete an entry, not even an admin.

    Reading entries is itself recorded (`when_read`), and the search takes the changed
    record's id only: a name or NHS number searched for would sit in the URL and in logs.
    """

    search_fields = ["=object_pk"]
    search_help_text = "Search by the id of the record that changed."

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        listing = getattr(response, "context_data", None) or {}
        if "cl" in listing:
            _record_reads(request, listing["cl"].result_list)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, unquote(object_id))
        if entry is not None:
            _record_reads(request, [entry])
        return super().change_view(request, object_id, form_url, extra_context)


def _record_reads(request, entries) -> None:
    shown = defaultdict(list)
    for entry in entries:
        model = entry.content_type.model_class()
        if model in _readers:
            shown[model].append(entry.object_pk)
    for model, pks in shown.items():
        _readers[model](request, pks)


admin.site.unregister(LogEntry)
admin.site.register(LogEntry, AuditEntryAdmin)
