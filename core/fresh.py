"""Pages reused while PostgreSQL proves that nothing they show has changed.

The polled pages (the worklist every 30 s, a package's live part every 5 s, the portal's
offers every 10 s) are asked for again and again by staff who keep them open, mostly
while nothing has changed. Every table a page can show has a statement trigger that
notes each transaction writing it in core_change (core's migration 0001). A page
rendered in autocommit keeps the snapshot taken before its first query: each query of
the render saw at least what that snapshot saw, so the page is what a render would give
now for as long as no transaction noted in core_change has committed since. The check
is exact, not a time to live; the cache's timeout only bounds its memory.

On SQLite (`make run`), and inside a transaction (tests, the replay, atomic blocks, where
a snapshot proves nothing about what others see), every page renders as before.
"""

import hashlib
import threading

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection, migrations
from django.http import HttpResponse

from core import clock

# An entry is checked on every use; the timeout only lets unused pages go.
TIMEOUT_SECONDS = 120
# Renders wait for one of these, picked by the page's key: many more than a process's threads.
_RENDERING = [threading.Lock() for _ in range(256)]

# Tables with no trigger, and why. Every other table of a model has one: a test holds
# every model's table to this, so a migration adding a model adds `track(...)` for it.
EXEMPT = {
    "django_session": "written by reading any page (sign-in, messages, the second factor)",
    "packages_personaccess": "written by reading a person's record, a reused page included",
    "axes_accessattempt": "written by signing in; no page shows it",
    "axes_accessattemptexpiration": "written by signing in; no page shows it",
    "axes_accessfailurelog": "written by signing in; no page shows it",
    "axes_accesslog": "written by signing in and out; no page shows it",
    "otp_totp_totpdevice": "written by giving a code at sign-in; no page shows it",
    "accounts_apitoken": "written by signing in for a token; no page shows it",
    "notifications_notification": "marked read by reading the list; no reused page shows it",
}

# True while no transaction that wrote a tracked table has committed since snapshot %(s)s:
# one not visible in it (running then, or begun since). Below its xmin every transaction
# had ended when it was taken, so the primary key's range scan starts there.
UNCHANGED_SINCE = """
SELECT NOT EXISTS (
    SELECT FROM core_change
    WHERE xid >= pg_snapshot_xmin(%(s)s::pg_snapshot)
      AND NOT pg_visible_in_snapshot(xid, %(s)s::pg_snapshot)
)
"""

# A page is kept 2 minutes at most, so its snapshot is that recent: only a transaction
# whose first tracked write is a day old and that committed in the last 2 minutes (one
# that ran a day) could be forgotten while it matters. Running ones (xid at or above the
# oldest running transaction) are kept whatever their age.
FORGET_OLD_CHANGES = """
DELETE FROM core_change
WHERE at < now() - interval '1 day' AND xid < pg_snapshot_xmin(pg_current_snapshot())
"""


def track(*tables):
    """A migration operation giving `tables` the trigger that notes their writers (PostgreSQL)."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in tables:
                schema_editor.execute(
                    f"CREATE TRIGGER core_note_change AFTER INSERT OR UPDATE OR DELETE OR "
                    f'TRUNCATE ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION core_note_change()'
                )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in tables:
                schema_editor.execute(f'DROP TRIGGER IF EXISTS core_note_change ON "{table}"')

    return migrations.RunPython(forwards, backwards, elidable=False)


def forget_old_changes() -> int:
    """Delete the notes no kept page can need any more; how many."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute(FORGET_OLD_CHANGES)
        return cursor.rowcount


def page(request, render, *, vary=()):
    """The page `render()` makes, or the one it made for this same request before, while
    nothing it shows has changed: (response, shown).

    `render()` answers (response, shown), `shown` what the caller must act on every time
    (the people whose identity the page shows, for the access log), kept with the page.
    `vary`: what else the page depends on (the API's negotiated media type).
    """
    key = _key(request, vary)
    if key is None:
        return render()
    reused = _reused(request, key)
    if reused:
        return reused
    # One render of a page at a time in this process (the polls of one page come together
    # as the minute turns): those waiting reuse it, rather than each render it again.
    with _RENDERING[int(key[-8:], 16) % len(_RENDERING)]:
        return _reused(request, key) or _rendered(request, render, key)


def _reused(request, key):
    entry = cache.get(key)
    if entry is None or not _unchanged_since(entry["snapshot"]):
        return None
    if entry["csrf_secret"]:
        # The page's forms carry a token of this secret: the answer sets it as the render
        # did (CsrfViewMiddleware reads these, as get_token leaves them).
        request.META["CSRF_COOKIE"] = entry["csrf_secret"]
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return HttpResponse(entry["content"], headers=entry["headers"]), entry["shown"]


def _rendered(request, render, key):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_snapshot()::text")
        snapshot = cursor.fetchone()[0]
    session_was_modified = _session_modified(request)
    response, shown = render()
    if _keepable(request, response, session_was_modified):
        csrf_secret = None
        if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            csrf_secret = request.META.get("CSRF_COOKIE")
        entry = {
            "snapshot": snapshot,
            "content": response.content,
            "headers": dict(response.items()),
            "csrf_secret": csrf_secret,
            "shown": shown,
        }
        cache.set(key, entry, TIMEOUT_SECONDS)
    return response, shown


def _key(request, vary):
    """The cache key of this request's page, or None when it may be neither kept nor reused."""
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or request.method != "GET"
        or not request.user.is_authenticated
        or len(messages.get_messages(request))  # the page would show (and use up) them
    ):
        return None
    token = getattr(request, "auth", None)  # the API's token, when it signed the caller in
    if token is not None:
        caller = ("token", token.pk)
    elif request.session.session_key:
        caller = ("session", request.session.session_key)
    else:
        return None
    user = request.user
    parts = (
        caller,
        # The user was read before the render's snapshot: a change to it is in the key.
        [getattr(user, field.attname) for field in user._meta.concrete_fields],
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        request.build_absolute_uri(),  # the page's links are absolute in the API
        sorted((k, v) for k, v in request.META.items() if k.startswith("HTTP_HX_")),
        tuple(vary),
        # Pages say how long something has waited, and what is overdue, to the minute.
        clock.now().replace(second=0, microsecond=0).isoformat(),
    )
    return "fresh:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def _unchanged_since(snapshot) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(UNCHANGED_SINCE, {"s": snapshot})
        return cursor.fetchone()[0]


def _session_modified(request) -> bool:
    session = getattr(request, "session", None)
    return bool(session is not None and session.modified)


def _keepable(request, response, session_was_modified) -> bool:
    """Whether the render's answer is all of it: a page of its own, with no messages,
    cookies, session changes or CSP nonce that a reuse would not give again."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not len(messages.get_messages(request))
        and _session_modified(request) == session_was_modified
        # A nonce is new each request (django-csp): a page holding one cannot be reused.
        and getattr(request, "_csp_nonce", None) is None
    )
