"""Brokering pages: the provider portal's offers and the broker's actions on a package's offers."""

from django.urls import path

from . import views

app_name = "brokering"

urlpatterns = [
    # The provider portal.
    path("offers/", views.portal_offers, name="portal_offers"),
    path("offers/<int:pk>/", views.portal_offer, name="portal_offer"),
    path("offers/<int:pk>/accept/", views.offer_accept, name="offer_accept"),
    path("offers/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
    # The broker's actions on a package's offers.
    path("packages/<int:pk>/assign/", views.package_assign, name="package_assign"),
    path("packages/<int:pk>/withdraw/", views.package_withdraw, name="package_withdraw"),
    path("packages/<int:pk>/rebroker/", views.package_rebroker, name="package_rebroker"),
]
