"""Notifications move from the project package (brokerage) to their own app, rows and all.

As they were there; the next migration gives them the fields of contract v1.1.
The table is renamed, not copied, and the content type follows it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="brokerage", model="notification").update(
        app_label="notifications"
    )


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="notifications", model="notification").update(
        app_label="brokerage"
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("brokerage", "0004_offer_and_notification_moved"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE brokerage_notification RENAME TO notifications_notification",
                    "ALTER TABLE notifications_notification RENAME TO brokerage_notification",
                ),
            ],
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[("offer", "New offer"), ("escalated", "Package escalated")], max_length=12)),
                        ("text", models.CharField(max_length=300)),
                        ("link", models.CharField(help_text="A path within the service.", max_length=200)),
                        ("created_at", models.DateTimeField()),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("emailed_at", models.DateTimeField(blank=True, null=True)),
                        ("recipient", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [
                            models.Index(fields=["recipient", "created_at"], name="notification_recipient"),
                            models.Index(condition=models.Q(("read_at__isnull", True)), fields=["recipient"], name="notification_unread"),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
