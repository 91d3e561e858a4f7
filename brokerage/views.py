"""The start page: each role lands where its day starts."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .context_processors import navigation_for
from .navigation import LANDING


@login_required
def home(request):
    landing = LANDING.get(getattr(request.user, "role", None))
    if landing:
        return redirect(landing)
    items = navigation_for(request)
    if items:
        return redirect(items[0]["href"])
    return render(request, "home.html")
