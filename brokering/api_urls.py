"""The brokering part of /api/v1/: offers, and the broker's actions on a package."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("offers", api.OfferViewSet, basename="offer")

urlpatterns = [
    *router.urls,
    # The packages router's detail route does not match these, so brokering owns them.
    path("packages/<int:pk>/assign/", api.AssignPackageView.as_view(), name="package-assign"),
    path(
        "packages/<int:pk>/withdraw-offers/",
        api.WithdrawOffersView.as_view(),
        name="package-withdraw-offers",
    ),
    path("packages/<int:pk>/rebroker/", api.RebrokerPackageView.as_view(), name="package-rebroker"),
]
