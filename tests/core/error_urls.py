"""The service's URLs and its error handlers, with one page and one API path that fail."""

from django.urls import path

from brokerage.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("broken/", broken),
    path("api/v1/broken/", broken),
    *urlpatterns,
]
