from django.urls import path

from . import views

app_name = "zones"

urlpatterns = [
    path("", views.zone_list, name="list"),
    path("new/", views.zone_create, name="create"),
    path("lookup/", views.postcode_lookup, name="lookup"),
    path("<slug:code>/", views.zone_detail, name="detail"),
    path("<slug:code>/edit/", views.zone_edit, name="edit"),
]
