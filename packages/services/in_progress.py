"""Referrals being taken down: saved part way through a call, or waiting on their "check
your answers" page (ReferralInProgress). Recording one as a package deletes it."""

from django.core.exceptions import ValidationError
from django.db import transaction

from core import audit
from zones.postcodes import normalise_postcode
from zones.selectors import zone_for_postcode

from ..models import ReferralInProgress


def hold_referral(
    *, by, answers: dict, nhs_number, given_name, family_name, postcode="", referral_id=None
) -> ReferralInProgress:
    """Keep the answers typed so far (a new referral in progress, or `referral_id`'s)."""
    fields = {
        "answers": answers,
        "nhs_number": nhs_number,
        "given_name": given_name,
        "family_name": family_name,
        "zone": _zone_or_none(postcode),
    }
    with transaction.atomic():
        if referral_id is None:
            held = ReferralInProgress.objects.create(created_by=by, **fields)
            audit.record(by=by, obj=held, action=audit.CREATE, changes=audit.created(held))
            return held
        held = ReferralInProgress.objects.select_for_update().get(pk=referral_id)
        before = audit.snapshot(held)
        for field, value in fields.items():
            setattr(held, field, value)
        held.save()
        audit.record(by=by, obj=held, changes=audit.changed(before, held))
    return held


def drop_referral(*, by, referral_id) -> None:
    """The referral is recorded (or abandoned): its answers go."""
    held = ReferralInProgress.objects.filter(pk=referral_id).first()
    if held is not None:
        audit.record(by=by, obj=held, action=audit.DELETE)
        held.delete()


def _zone_or_none(postcode):
    """The zone the answers' postcode names, if it is a postcode a zone covers yet."""
    try:
        return zone_for_postcode(normalise_postcode(postcode))
    except ValidationError:
        return None
