"""Pages of one's own account: the second factor (set up, then given at sign-in) and API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.pages import paginate

from . import tokens, two_factor
from .forms import SecurityCodeForm

# Each wrong code makes the next wait longer (1, 2, 4... seconds: django-otp's throttle).
WRONG_CODE = (
    "The security code is wrong or has run out: wait a few seconds, then enter the code "
    "your app shows now."
)


@login_required
def set_up(request):
    """Scan the QR code (or type the key) into an authenticator app, then give its code."""
    if not two_factor.required(request.user) or two_factor.has_device(request.user):
        # Only a user without one sets one up: a password alone must not replace the app.
        return redirect("accounts:verify" if two_factor.pending(request.user) else "home")
    device = two_factor.device_to_set_up(request.user)
    form = SecurityCodeForm(request.POST or None)
    if form.is_valid():
        if two_factor.confirm(request, device, form.cleaned_data["code"]):
            messages.success(request, "Your authenticator app is set up.")
            return _onward(request)
        form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "qr_code": two_factor.qr_code_svg(device),
        "secret": two_factor.secret(device),
    }
    return render(request, "accounts/two_factor_set_up.html", context)


@login_required
def verify(request):
    """The code from the authenticator app, after the password."""
    if not two_factor.pending(request.user):
        return _onward(request)
    if not two_factor.has_device(request.user):
        return redirect("accounts:set_up")
    form = SecurityCodeForm(request.POST or None)
    if form.is_valid():
        if two_factor.verify(request, form.cleaned_data["code"]):
            return _onward(request)
        form.add_error("code", WRONG_CODE)
    return render(request, "accounts/two_factor_verify.html", {"form": form})


def _onward(request):
    target = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("home")


@login_required
def token_list(request):
    page, _ = paginate(request, tokens.live_tokens(request.user))
    return render(request, "accounts/token_list.html", {"page": page})


@login_required
@require_POST
def token_revoke(request, pk):
    if not tokens.revoke(user=request.user, token_id=pk):
        raise Http404("No such token of yours.")
    messages.success(request, "The token is revoked: it no longer signs anything in.")
    return redirect("accounts:tokens")
