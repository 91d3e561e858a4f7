"""The providers part of /api/v1/: providers, contracts and declared capacity."""

from rest_framework.routers import SimpleRouter

from .api import CapacityViewSet, ContractViewSet, ProviderViewSet, RateViewSet

router = SimpleRouter()
router.register("providers", ProviderViewSet, basename="provider")
router.register("contracts", ContractViewSet, basename="contract")
router.register("capacity", CapacityViewSet, basename="capacity")
router.register("rates", RateViewSet, basename="rate")

urlpatterns = [*router.urls]
