"""The packages part of /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import PackageViewSet, ReviewsDueViewSet

router = SimpleRouter()
router.register("packages", PackageViewSet, basename="package")
router.register("reviews", ReviewsDueViewSet, basename="review")

urlpatterns = [*router.urls]
