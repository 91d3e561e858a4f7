"""GET /health/: 200 with JSON when the database and the broker answer, else 503 naming the part."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from .celery import app as celery_app


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # any failure means the part is down
        return False, type(exc).__name__


def _broker_ok():
    try:
        with celery_app.connection_for_write() as conn:
            # One attempt: a health probe must answer quickly, and its caller retries.
            conn.ensure_connection(max_retries=0, timeout=2)
        return True, "ok"
    except Exception as exc:
        return False, type(exc).__name__


@require_GET
def health(request):
    parts = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(ok for ok, _ in parts.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {name: detail for name, (_, detail) in parts.items()},
    }
    if not healthy:
        body["failing"] = [name for name, (ok, _) in parts.items() if not ok]
    return JsonResponse(body, status=200 if healthy else 503)
