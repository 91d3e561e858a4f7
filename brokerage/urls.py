"""Root URLs: pages per app, the API under /api/v1/, its docs, and /health/."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from . import api_docs, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("zones/", include("zones.urls")),
    path("providers/", include("providers.urls")),
    path("packages/", include("packages.urls")),
    path("brokering/", include("brokering.urls")),
    path("notifications/", include("notifications.urls")),
    path("invoices/", include("invoicing.urls")),
    path("dashboard/", include("dashboard.urls")),
    path("what-if/", include("replay.urls")),
    path("api/v1/", include("accounts.api_urls")),
    path("api/v1/", include("zones.api_urls")),
    path("api/v1/", include("providers.api_urls")),
    path("api/v1/", include("packages.api_urls")),
    path("api/v1/", include("brokering.api_urls")),
    path("api/v1/", include("notifications.api_urls")),
    path("api/v1/", include("invoicing.api_urls")),
    path("api/v1/", include("dashboard.api_urls")),
    path("api/v1/", include("replay.api_urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", api_docs.swagger_ui, name="api-docs"),
    path("api/v1/redoc/", api_docs.redoc, name="api-redoc"),
    path("health/", include("brokerage.health_urls")),
    path("admin/", admin.site.urls),
]

# Errors in the service's layout (the API's paths answer JSON): brokerage.error_pages.
handler403 = "brokerage.error_pages.permission_denied"
handler404 = "brokerage.error_pages.page_not_found"
handler500 = "brokerage.error_pages.server_error"
