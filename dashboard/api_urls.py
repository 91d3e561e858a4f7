"""The dashboard part of /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("dashboard/unfilled/", api.UnfilledView.as_view(), name="dashboard-unfilled"),
    path("dashboard/time-to-fill/", api.TimeToFillView.as_view(), name="dashboard-time-to-fill"),
    path(
        "dashboard/time-to-fill/breakdown/",
        api.TimeToFillBreakdownView.as_view(),
        name="dashboard-time-to-fill-breakdown",
    ),
    path("dashboard/providers/", api.ProvidersView.as_view(), name="dashboard-providers"),
    path(
        "dashboard/provider-shares/",
        api.ProviderSharesView.as_view(),
        name="dashboard-provider-shares",
    ),
    path("dashboard/spend/", api.SpendView.as_view(), name="dashboard-spend"),
    path("dashboard/outcomes/", api.OutcomesView.as_view(), name="dashboard-outcomes"),
]
