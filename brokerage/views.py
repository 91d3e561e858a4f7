"""The start page: after sign-in each role lands on its first navigation item."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .context_processors import navigation_for


@login_required
def home(request):
    items = navigation_for(request)
    if items:
        return redirect(items[0]["href"])
    return render(request, "home.html")
