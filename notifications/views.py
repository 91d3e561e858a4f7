"""The notifications page: a user's own messages, newest first, with CSV."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.pages import paginate, wants_csv
from core.tables import Column, table_csv

from . import selectors, services
from .filters import NotificationFilter
from .permissions import notifications_for

COLUMNS = [
    Column("Sent at", lambda n: n.created_at),
    Column("Kind", lambda n: n.get_kind_display()),
    Column("Message", lambda n: n.message),
    Column("Read", lambda n: "Yes" if n.read else "No"),
    Column("Link", lambda n: n.link),
]


@login_required
def notification_list(request):
    found = NotificationFilter(request.GET, queryset=notifications_for(request.user))
    if wants_csv(request):
        return table_csv("notifications", COLUMNS, found.qs)
    page, _ = paginate(request, found.qs)
    context = {"page": page, "filter": found, "unread": selectors.unread_count(request.user)}
    return render(request, "notifications/notification_list.html", context)


@login_required
@require_POST
def notification_read(request, pk):
    notification = services.mark_read(notification_id=pk, by=request.user)
    return redirect(notification.link or "notifications:list")


@login_required
@require_POST
def notifications_read(request):
    services.mark_all_read(by=request.user)
    return redirect("notifications:list")
