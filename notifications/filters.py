"""Filters for a user's notifications, shared by the page and the API."""

import django_filters

from .models import Notification, NotificationKind


class NotificationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices)
    read = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", exclude=True, label="Read"
    )

    class Meta:
        model = Notification
        fields = ["kind", "read"]
