"""Notification reads shared by the page, the API and the navigation."""

from .permissions import notifications_for


def unread_count(user) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()
