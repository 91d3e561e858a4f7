from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("simulations", api.SimulationViewSet, basename="simulation")

urlpatterns = router.urls
