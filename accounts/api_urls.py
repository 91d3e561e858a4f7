from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ObtainTokenView, TokenViewSet

router = SimpleRouter()
router.register("auth/tokens", TokenViewSet, basename="api-tokens")

urlpatterns = [path("auth/token/", ObtainTokenView.as_view(), name="api-token"), *router.urls]
