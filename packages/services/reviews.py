"""Reviews: a placed package reviewed (its goals, what follows), a provider asking for one,
and brokers told once when a review falls due.

A review sets the next one's due date (the one given, or the zone's interval from the
day held); `end` ends the package on the day held, in the same transaction.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from core import audit, clock
from core.errors import Conflict
from core.formats import date_text

from .. import notices
from ..models import EventKind, Package, PackageStatus, Review, ReviewOutcome
from .lifecycle import end_package, record_event


@transaction.atomic
def record_review(
    *, by, package_id, held_on, outcome, notes="", goals=(), next_review_on=None
) -> Review:
    """Record a review of a placed package; `outcome` end ends it on `held_on`."""
    package = Package.objects.select_for_update().select_related("zone").get(pk=package_id)
    if package.status != PackageStatus.PLACED:
        raise Conflict(
            f"Package {package.pk} is {package.get_status_display().lower()}: "
            "only a placed package is reviewed."
        )
    _check_dates(package, held_on, outcome, next_review_on)
    review = Review.objects.create(
        package=package,
        held_on=held_on,
        outcome=outcome,
        notes=(notes or "").strip(),
        goals=[{"goal": g["goal"], "status": g["status"]} for g in goals],
        next_review_on=next_review_on,
        weekly_hours_before=package.version_on(held_on).weekly_hours,
        created_at=clock.now(),
        created_by=by,
    )
    audit.record(by=by, obj=review, action=audit.CREATE, changes=audit.created(review))
    record_event(
        package_id=package.pk,
        kind=EventKind.REVIEWED,
        by=by,
        detail=f"Held {date_text(held_on)}: {ReviewOutcome(outcome).label.lower()}",
    )
    if outcome == ReviewOutcome.END:
        end_package(package_id=package.pk, by=by, ended_on=held_on)
        _set_due(by, package.pk, None)
    else:
        interval = datetime.timedelta(days=package.zone.review_after_days)
        _set_due(by, package.pk, next_review_on or held_on + interval)
    return review


def _check_dates(package, held_on, outcome, next_review_on) -> None:
    if held_on > clock.today():
        raise ValidationError({"held_on": ["A review is recorded once held: not in the future."]})
    if held_on < package.start_date:
        raise ValidationError({"held_on": ["A review cannot be held before the package starts."]})
    if next_review_on is not None and outcome == ReviewOutcome.END:
        raise ValidationError({"next_review_on": ["A package that ends has no next review."]})
    if next_review_on is not None and next_review_on <= held_on:
        raise ValidationError({"next_review_on": ["The next review comes after this one."]})


def _set_due(by, package_id, due) -> None:
    package = Package.objects.get(pk=package_id)
    if package.review_due_on != due:
        audit.record(
            by=by,
            obj=package,
            changes=audit.transition("review_due_on", package.review_due_on, due),
        )
        Package.objects.filter(pk=package_id).update(review_due_on=due, updated_at=clock.now())


@transaction.atomic
def ask_for_review(*, by, package_id, reason) -> Package:
    """The provider caring for a package asks for a review: due today (unless due sooner),
    the brokers told at once with its reason on the timeline."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Say why a review is needed."]})
    package = Package.objects.select_for_update().select_related("zone").get(pk=package_id)
    if package.status != PackageStatus.PLACED:
        raise Conflict(f"Package {package.pk} is not placed: there is nothing to review.")
    today = clock.today()
    if package.review_due_on is None or package.review_due_on > today:
        _set_due(by, package.pk, today)
        # Told now, with the reason: not again by the job for the same day.
        Package.objects.filter(pk=package.pk).update(review_due_told_on=today)
    event = record_event(
        package_id=package.pk,
        kind=EventKind.REVIEW_ASKED,
        by=by,
        provider=package.provider_id,
        detail=reason,
    )
    notices.review_asked(package, event)
    return package


def tell_reviews_due() -> int:
    """As the days pass: brokers are told once of each placed package whose review has
    fallen due (a new due date, a new notice). Looks at state: a missed run is caught by
    the next; answers how many were told."""
    due = (
        Package.objects.filter(status=PackageStatus.PLACED, review_due_on__lte=clock.today())
        .exclude(review_due_told_on=F("review_due_on"))
        .select_related("zone")
    )
    told = 0
    for package in due.iterator(chunk_size=500):
        with transaction.atomic():
            claimed = Package.objects.filter(
                pk=package.pk, review_due_on=package.review_due_on
            ).exclude(review_due_told_on=package.review_due_on)
            if claimed.update(review_due_told_on=package.review_due_on):
                notices.review_due(package)
                told += 1
    return told
