"""Every package in hand (draft, open, placed) gets its first review's due date: its start
date plus its zone's review_after_days (42 unless the zone says otherwise)."""

import datetime

from django.db import migrations

BATCH = 2000


def first_reviews_due(apps, schema_editor):
    Package = apps.get_model("packages", "Package")
    in_hand = Package.objects.filter(status__in=["draft", "open", "placed"]).order_by("pk")
    rows = in_hand.values_list("pk", "start_date", "zone__review_after_days")
    batch = []
    for pk, start_date, days in rows.iterator(chunk_size=BATCH):
        due = start_date + datetime.timedelta(days=days)
        batch.append(Package(pk=pk, review_due_on=due))
        if len(batch) == BATCH:
            Package.objects.bulk_update(batch, ["review_due_on"])
            batch = []
    Package.objects.bulk_update(batch, ["review_due_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0013_reviews"),
        ("zones", "0006_zone_review_after_days"),
    ]

    operations = [migrations.RunPython(first_reviews_due, migrations.RunPython.noop)]
