"""Every package gets its first version (its visits and plan as they are) and its placements.

A package's visits and flexible plan move to version 1, in force from the start. Each
provider that took it on gets a placement: the one caring for it now (or when it ended)
from its start date, or, after a hand-back, from the day it was placed again; each
provider that handed it back, from its start or the day it was placed until the day
it handed it back.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.db.models import OuterRef, Subquery

BATCH = 2000


def uk_date(moment):
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def first_versions(apps, schema_editor):
    Package = apps.get_model("packages", "Package")
    PackageVersion = apps.get_model("packages", "PackageVersion")
    Visit = apps.get_model("packages", "Visit")
    FlexiblePlan = apps.get_model("packages", "FlexiblePlan")
    rows = Package.objects.order_by("pk").values_list(
        "pk", "weekly_hours", "created_at", "created_by_id"
    )
    batch = []
    for pk, hours, created_at, created_by in rows.iterator(chunk_size=BATCH):
        batch.append(
            PackageVersion(
                package_id=pk,
                number=1,
                effective_from=None,
                weekly_hours=hours,
                created_at=created_at,
                created_by_id=created_by,
                in_force=True,
            )
        )
        if len(batch) == BATCH:
            PackageVersion.objects.bulk_create(batch)
            batch = []
    PackageVersion.objects.bulk_create(batch)
    first = PackageVersion.objects.filter(package_id=OuterRef("package_id"), number=1)
    Visit.objects.update(version_id=Subquery(first.values("pk")[:1]))
    FlexiblePlan.objects.update(version_id=Subquery(first.values("pk")[:1]))


def placements(apps, schema_editor):
    Package = apps.get_model("packages", "Package")
    HandBack = apps.get_model("packages", "HandBack")
    PackageEvent = apps.get_model("packages", "PackageEvent")
    Placement = apps.get_model("packages", "Placement")
    placed_events = PackageEvent.objects.filter(kind__in=("placed", "accepted", "assigned"))
    created = []
    handed_back = set()
    for hand_back in HandBack.objects.select_related("package").order_by("package_id", "at"):
        package = hand_back.package
        placed = (
            placed_events.filter(
                package_id=package.pk, provider_id=hand_back.provider_id, at__lte=hand_back.at
            )
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        ) or hand_back.at
        starts_on = package.start_date
        if package.pk in handed_back:
            starts_on = max(starts_on, uk_date(placed))
        handed_back.add(package.pk)
        ends_on = max(uk_date(hand_back.at), starts_on - datetime.timedelta(days=1))
        created.append(
            Placement(
                package_id=package.pk,
                provider_id=hand_back.provider_id,
                starts_on=starts_on,
                ends_on=ends_on,
                placed_at=placed,
            )
        )
    current = Package.objects.filter(provider__isnull=False).values_list(
        "pk", "provider_id", "start_date", "ended_on", "placed_at", "created_at"
    )
    for pk, provider_id, start_date, ended_on, placed_at, created_at in current.iterator(
        chunk_size=BATCH
    ):
        starts_on = start_date
        if pk in handed_back and placed_at:
            starts_on = max(start_date, uk_date(placed_at))
        created.append(
            Placement(
                package_id=pk,
                provider_id=provider_id,
                starts_on=starts_on,
                ends_on=ended_on,
                placed_at=placed_at or created_at,
            )
        )
    Placement.objects.bulk_create(created, batch_size=BATCH)


def back(apps, schema_editor):
    """Going back, the visits and plans keep their package; versions and placements go."""
    Visit = apps.get_model("packages", "Visit")
    FlexiblePlan = apps.get_model("packages", "FlexiblePlan")
    PackageVersion = apps.get_model("packages", "PackageVersion")
    Placement = apps.get_model("packages", "Placement")
    Visit.objects.update(version=None)
    FlexiblePlan.objects.update(version=None)
    PackageVersion.objects.all().delete()
    Placement.objects.all().delete()


def nothing(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("packages", "0005_versions_placements")]

    operations = [
        migrations.RunPython(first_versions, back),
        migrations.RunPython(placements, nothing),
    ]
