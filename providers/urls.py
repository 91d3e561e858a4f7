from django.urls import path

from . import views

app_name = "providers"

urlpatterns = [
    path("", views.provider_list, name="list"),
    path("new/", views.provider_create, name="create"),
    path("capacity/", views.capacity, name="capacity"),
    path("capacity/weeks/", views.capacity_grid, name="capacity_grid"),
    path("contracts/new/<slug:zone>/", views.contract_add, name="contract_add"),
    path("contracts/<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("contracts/<int:pk>/remove/", views.contract_remove, name="contract_remove"),
    path("rates/", views.rates, name="rates"),
    path("<slug:code>/", views.provider_detail, name="detail"),
    path("<slug:code>/edit/", views.provider_edit, name="edit"),
]
