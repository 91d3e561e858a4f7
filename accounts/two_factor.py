"""The second factor for staff: a TOTP code from an authenticator app (django-otp).

Staff roles (admin, commissioner, finance, broker) give a code after their password
when settings.STAFF_TWO_FACTOR is on: always in production, a choice in `make run`'s
demo. Until they have, the pages send them to set up or give a code and show no
navigation, and their session does not reach the API. Provider users and API tokens
are not asked (a token is for a system, which has no phone).
"""

from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import audit

from .models import Role

DEVICE_NAME = "Authenticator app"
QR_TITLE = "QR code to scan with your authenticator app"
STAFF_ROLES = frozenset({Role.ADMIN, Role.COMMISSIONER, Role.FINANCE, Role.BROKER})


def required(user) -> bool:
    return settings.STAFF_TWO_FACTOR and user.is_authenticated and user.role in STAFF_ROLES


def pending(user) -> bool:
    """A staff user signed in with the password who has not yet given a code."""
    is_verified = getattr(user, "is_verified", None)
    return required(user) and not (is_verified and is_verified())


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def device_to_set_up(user) -> TOTPDevice:
    """The authenticator being set up: kept unconfirmed until a code from it is given, so
    that reloading the page shows the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret(device: TOTPDevice) -> str:
    """The key as an app asks for it when typed in (base32, in groups of four)."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[start : start + 4] for start in range(0, len(text), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=4, title=QR_TITLE)


def confirm(request, device: TOTPDevice, code: str) -> bool:
    """The first code from a new authenticator: the device is the user's from now on."""
    with transaction.atomic():
        if not device.verify_token(code):
            return False
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        device.confirmed = True
        audit.record(by=request.user, obj=request.user, changes={"two_factor": ["", "set up"]})
    otp_login(request, device)
    return True


def verify(request, code: str) -> bool:
    """A code at sign-in, from one of the user's confirmed authenticators."""
    device = match_token(request.user, code)
    if device is None:
        return False
    otp_login(request, device)
    return True
