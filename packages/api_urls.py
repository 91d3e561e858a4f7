"""The packages part of /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import PackageViewSet

router = SimpleRouter()
router.register("packages", PackageViewSet, basename="package")

urlpatterns = [*router.urls]
