"""The audit trail of the market (zones, providers, contracts, capacity): who changed what, when.

Each service writes its entries with the acting user (core.audit). Each market
model tags its entries with the codes of the zone and provider it is about
(`get_additional_data`), so that a zone's or provider's page can show the
changes to everything hanging off it.
"""

from dataclasses import dataclass

from auditlog.models import LogEntry
from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst

RECENT = 10


@dataclass(frozen=True)
class Change:
    when: object
    who: str
    action: str
    what: str
    kind: str
    fields: list[tuple[str, str, str]]


def recent_changes(*, tag: str, code: str, limit: int = RECENT) -> list[Change]:
    """The latest changes tagged with `tag` = `code` (e.g. zone=EXETER), newest first."""
    entries = (
        LogEntry.objects.filter(**{f"additional_data__{tag}": code})
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")[:limit]
    )
    return [_change(entry) for entry in entries]


def object_changes(obj, *, limit: int = RECENT) -> list[Change]:
    """The latest changes to one object (a contract's history), newest first."""
    entries = (
        LogEntry.objects.get_for_object(obj)
        .select_related("actor", "content_type")
        .order_by("-timestamp", "-pk")[:limit]
    )
    return [_change(entry) for entry in entries]


def _change(entry) -> Change:
    action = dict(LogEntry.Action.choices).get(entry.action, "change")
    return Change(
        when=entry.timestamp,
        who=entry.actor.username if entry.actor else "system",
        action=str(action),
        what=entry.object_repr,
        kind=capfirst(entry.content_type.model_class()._meta.verbose_name),
        fields=_fields(entry),
    )


def _fields(entry) -> list[tuple[str, str, str]]:
    """(label, old, new) for each changed field, choices shown by their labels.

    Relations are left out: the entry's object (e.g. "EXE-VALLEY in EXETER
    (primary)") already names them, and looking each up would cost a query.
    """
    model = entry.content_type.model_class()
    fields = []
    for name, (old, new) in (entry.changes_dict or {}).items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.is_relation or field.primary_key:
            continue
        labels = {str(value): label for value, label in field.choices or ()}
        fields.append(
            (
                capfirst(field.verbose_name),
                labels.get(str(old), _blank(old)),
                labels.get(str(new), _blank(new)),
            )
        )
    return fields


def _blank(value) -> str:
    return "" if value in (None, "None") else str(value)
