"""Whose notifications a user may see: only their own, on the page and in the API."""

from .models import Notification


def notifications_for(user):
    if not (user and user.is_authenticated and user.is_active):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk)
