"""The dashboard pages, under /dashboard/."""

from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.UnfilledPage.as_view(), name="index"),
    path("time-to-fill/", views.TimeToFillPage.as_view(), name="time_to_fill"),
    path("providers/", views.ProvidersPage.as_view(), name="providers"),
    path("spend/", views.SpendPage.as_view(), name="spend"),
    path("outcomes/", views.OutcomesPage.as_view(), name="outcomes"),
]
