"""Brokering pages: the provider portal's offers, notifications, the broker's offer actions, the dashboard."""

from django.urls import path  # noqa: F401

app_name = "brokerage"

urlpatterns = []
