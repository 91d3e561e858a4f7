from django.urls import path

from . import views

app_name = "replay"

urlpatterns = [
    path("", views.WhatIfPage.as_view(), name="whatif"),
    path("<int:pk>/", views.SimulationPage.as_view(), name="simulation"),
]
