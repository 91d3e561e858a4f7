"""The audit trail: who changed what, and when, written by the service that changes it.

Every service that changes a package, an offer, a placement, an invoice, a
payment, a contract, a provider, a zone or an account calls `record` (or
`record_many`) with the acting user (`by`; None when the system acts on its
own: the sweep, a deadline check) in the same transaction as the change. So a
change made by a guarded `update()` or a `bulk_create` is in the trail like
any other, and a change that rolls back leaves no entry. Entries are kept in
django-auditlog's LogEntry table, which the admin and the market pages read;
nothing writes them by signal.

`changes` is `{field: [before, after]}` with both as text, as auditlog keeps
them. `created(obj)` gives every audited field of a new object; `changed(before,
obj)` the fields that differ from a `snapshot(obj)` taken before the change.
A model may name fields the trail leaves out in `audit_exclude` (passwords,
timestamps that change on every save).
"""

from contextlib import contextmanager
from contextvars import ContextVar

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from . import clock, records

CREATE, UPDATE, DELETE = LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE

# The entries held back by `together` in this thread (None: written at once).
_held: ContextVar[list | None] = ContextVar("audit_held", default=None)


def record(*, by, obj, action=UPDATE, changes=None) -> LogEntry | None:
    """One entry: `by` did `action` to `obj`, changing `changes` (None in a replay, which
    keeps no trail: core.records)."""
    if not records.kept():
        return None
    return _write([LogEntry(**_entry(by, obj, action, changes))])[0]


def record_many(*, by, objs, action=UPDATE, changes=None) -> list[LogEntry]:
    """The same change to several objects (offers withdrawn together), in one statement.

    `changes` is one dict for all of them, or a function giving each object's."""
    if not records.kept():
        return []
    return _write(
        [
            LogEntry(**_entry(by, obj, action, changes(obj) if callable(changes) else changes))
            for obj in objs
        ]
    )


@contextmanager
def together():
    """The entries recorded inside, written in one statement as it ends (inside the caller's
    transaction, which must enclose it): an accept's offer, placement, package and withdrawn
    offers. An exception writes none: its transaction rolls back anyway."""
    if _held.get() is not None or not records.kept():  # the outer one writes; or nobody
        yield
        return
    held = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    LogEntry.objects.bulk_create(held)


def _write(entries) -> list[LogEntry]:
    if not records.kept():  # a replay's: rolled back unread (core.records)
        return entries
    held = _held.get()
    if held is None:
        return LogEntry.objects.bulk_create(entries)
    held.extend(entries)
    return entries


def snapshot(obj) -> dict[str, str]:
    """The audited fields of `obj` as text, to compare with after a change."""
    return {field.attname: _text(getattr(obj, field.attname)) for field in _audited(obj)}


def created(obj) -> dict[str, list]:
    """A new object's audited fields, each from nothing to its value."""
    return {name: [None, value] for name, value in snapshot(obj).items()}


def changed(before: dict[str, str], obj) -> dict[str, list]:
    """The audited fields whose text differs from `before` (a `snapshot`)."""
    after = snapshot(obj)
    return {
        name: [before.get(name), after[name]] for name in after if before.get(name) != after[name]
    }


def transition(field: str, before, after) -> dict[str, list]:
    return {field: [_text(before), _text(after)]}


def _entry(by, obj, action, changes) -> dict:
    tags = getattr(obj, "get_additional_data", None)
    return {
        "content_type": ContentType.objects.get_for_model(obj.__class__),
        "object_pk": str(obj.pk),
        "object_id": obj.pk if isinstance(obj.pk, int) else None,
        "object_repr": str(obj)[:255],
        "action": action,
        "changes": changes or {},
        "actor": by if getattr(by, "pk", None) else None,
        "timestamp": clock.now(),
        "additional_data": tags() if callable(tags) else None,
    }


def _audited(obj):
    excluded = set(getattr(obj, "audit_exclude", ()))
    return [field for field in obj._meta.concrete_fields if field.name not in excluded]


def _text(value) -> str | None:
    return None if value is None else str(value)
