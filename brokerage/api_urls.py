"""The brokering part of /api/v1/: offers and the dashboard."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()

urlpatterns = [*router.urls]
