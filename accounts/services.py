"""Writes to accounts: an account with its one role, created or brought up to date."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from core import audit

from .models import Role, User

# The organisations and zones an account belongs to, reached through the account's own
# relations: accounts sits below the apps that define them and imports none of them.
Provider = User._meta.get_field("provider").related_model
Zone = User._meta.get_field("zones").related_model


def save_account(
    *,
    username: str,
    role: str,
    password: str,
    provider_code: str | None = None,
    zone_codes: list[str] = (),
    email: str | None = None,
    by=None,
) -> tuple[User, bool]:
    """Create the account or update its role, organisation, zones, password and email.

    The email address is where notifications go (offers, escalations, deadline
    warnings); None keeps the one an existing account has.

    A provider user belongs to exactly one provider; only a broker may be
    limited to zones (none listed: every zone). An admin may also use the
    Django admin site. Returns the user and whether it was new.
    """
    if role not in Role.values:
        raise ValidationError(
            {"role": [f"Unknown role {role!r}: choose one of {', '.join(Role.values)}."]}
        )
    provider = _provider(role, provider_code)
    zones = _zones(role, zone_codes)
    if not username.strip():
        raise ValidationError({"username": ["Enter a username."]})
    for validator in User._meta.get_field("username").validators:
        validator(username)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": [f"{email!r} is not an email address."]}) from None
    with transaction.atomic():
        user, created = User.objects.select_for_update().get_or_create(username=username)
        before = {} if created else audit.snapshot(user)
        zones_before = [] if created else sorted(user.zones.values_list("code", flat=True))
        user.role = role
        user.provider = provider
        user.is_active = True
        user.is_staff = user.is_superuser = role == Role.ADMIN
        if email is not None:
            user.email = email
        _check_password(password, user)
        user.set_password(password)
        user.save()
        user.zones.set(zones)
        changes = audit.changed(before, user)
        if (zone_codes := sorted(zone.code for zone in zones)) != zones_before:
            changes["zones"] = [", ".join(zones_before), ", ".join(zone_codes)]
        # A password is never written to the trail, but that it changed is.
        changes["password"] = ["(set)" if created else "(changed)", "(new)"]
        audit.record(
            by=by, obj=user, action=audit.CREATE if created else audit.UPDATE, changes=changes
        )
    return user, created


def _check_password(password, user):
    """The password validators of settings (length 12, not common, not all digits, not like
    the username or email), as everywhere else a password is set."""
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None


def _provider(role, code):
    if role != Role.PROVIDER:
        if code:
            raise ValidationError({"provider": ["Only a provider user belongs to a provider."]})
        return None
    if not code:
        raise ValidationError(
            {"provider": ["A provider user needs --provider CODE: the organisation it belongs to."]}
        )
    try:
        return Provider.objects.get(code=code)
    except Provider.DoesNotExist:
        raise ValidationError({"provider": [f"No provider has the code {code!r}."]}) from None


def _zones(role, codes):
    if not codes:
        return []
    if role != Role.BROKER:
        raise ValidationError({"zones": ["Only a broker can be limited to zones."]})
    zones = list(Zone.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {zone.code for zone in zones})
    if missing:
        raise ValidationError({"zones": [f"No zone has the code {', '.join(missing)}."]})
    return zones
