"""The zones part of /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import ZoneViewSet

router = SimpleRouter()
router.register("zones", ZoneViewSet, basename="zone")

urlpatterns = [*router.urls]
