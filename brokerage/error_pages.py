"""The pages a person sees when something stops them: in the service's layout, each saying
what to do next. The API's paths answer JSON instead, as DRF's own errors do.

The 500 page is drawn with no request and no context processors: whatever failed (the
database, a session, a context processor) must not fail the error page too.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request is not None and request.path.startswith(API_PREFIX)


def page_not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    if _is_api(request):
        detail = "You do not have permission to perform this action."
        return JsonResponse({"detail": detail}, status=403)
    return render(request, "errors/403.html", status=403)


def csrf_failure(request, reason=""):
    """Django's CSRF_FAILURE_VIEW: a form sent from a page open too long, or without cookies."""
    return render(request, "errors/403_csrf.html", status=403)


def server_error(request=None):
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    html = render_to_string("errors/500.html", {"service_name": settings.SERVICE_NAME})
    return HttpResponse(html, status=500)
