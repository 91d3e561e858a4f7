from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "packages"

urlpatterns = [
    # Each role's first page (the lists sit below, so the menu marks only the one in use).
    path("", RedirectView.as_view(pattern_name="home"), name="index"),
    path("all/", views.package_list, name="list"),
    path("worklist/", views.worklist, name="worklist"),
    path("drafts/", views.drafts, name="drafts"),
    path("ours/", views.provider_list, name="provider_list"),
    path("reviews/", views.reviews_due, name="reviews_due"),
    path("new/", views.package_create, name="create"),
    path("new/<int:pk>/", views.package_create, name="resume"),
    path("new/<int:pk>/check/", views.check_answers, name="check_answers"),
    path("new/zone/", views.zone_lookup, name="zone_lookup"),
    path("new/person/", views.person_check, name="person_check"),
    path("<int:pk>/", views.package_detail, name="detail"),
    path("<int:pk>/live/", views.package_live, name="live"),
    path("<int:pk>/edit/", views.package_edit, name="edit"),
    path("<int:pk>/change/", views.package_change, name="change"),
    path("<int:pk>/submit/", views.package_submit, name="submit"),
    path("<int:pk>/cancel/", views.package_cancel, name="cancel"),
    path("<int:pk>/end/", views.package_end, name="end"),
    path("<int:pk>/hand-back/", views.package_hand_back, name="hand_back"),
    path("<int:pk>/review/", views.package_review, name="review"),
    path("<int:pk>/ask-review/", views.package_ask_review, name="ask_review"),
]
