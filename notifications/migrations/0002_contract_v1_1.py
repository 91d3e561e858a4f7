"""Notifications as contract v1.1 has them: a message, the package or invoice they are about,
every kind, and once per event.

Existing rows keep everything: `text` becomes `message`; each is its own event
(so none collides with another under the new unique constraint); the package an
old notification was about is read from its link (an escalation links to the
package, an offer to the offer, whose package is known).
"""

import re

from django.db import migrations, models

PACKAGE_LINK = re.compile(r"^/packages/(\d+)/")
OFFER_LINK = re.compile(r"^/brokering/offers/(\d+)/")


def fill_events_and_packages(apps, schema_editor):
    Notification = apps.get_model("notifications", "Notification")
    Offer = apps.get_model("brokering", "Offer")
    for notification in Notification.objects.all().only("pk", "link").iterator():
        package_id = None
        if match := PACKAGE_LINK.match(notification.link):
            package_id = int(match[1])
        elif match := OFFER_LINK.match(notification.link):
            package_id = (
                Offer.objects.filter(pk=match[1]).values_list("package_id", flat=True).first()
            )
        Notification.objects.filter(pk=notification.pk).update(
            event=f"earlier:{notification.pk}", package_id=package_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("brokering", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="notification", old_name="text", new_name="message"),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("offer", "New offer"),
                    ("offer_withdrawn", "Offer withdrawn"),
                    ("escalated", "Package escalated"),
                    ("fill_overdue", "Package not filled in time"),
                    ("handed_back", "Package handed back"),
                    ("package_changed", "Package changed"),
                    ("review_due", "Review due"),
                    ("deadline_due_soon", "Payment due soon"),
                    ("deadline_due_today", "Payment due today"),
                    ("deadline_overdue", "Payment overdue"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="event",
            field=models.CharField(
                default="", help_text="What happened, once per recipient.", max_length=100
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="notification",
            name="package_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="notification",
            name="invoice_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(fill_events_and_packages, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("recipient", "kind", "event"), name="notification_once_per_event"
            ),
        ),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "kind__in",
                        [
                            "offer",
                            "offer_withdrawn",
                            "escalated",
                            "fill_overdue",
                            "handed_back",
                            "package_changed",
                            "review_due",
                            "deadline_due_soon",
                            "deadline_due_today",
                            "deadline_overdue",
                        ],
                    )
                ),
                name="notification_kind_valid",
            ),
        ),
    ]
