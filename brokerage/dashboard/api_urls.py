"""The dashboard part of /api/v1/."""

urlpatterns = []
