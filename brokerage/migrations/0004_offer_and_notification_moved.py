"""Offers and notifications leave the project package for their own apps.

Only the migration state changes here: the tables are renamed, rows and all, by
brokering's and notifications' first migrations, which come after this one.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("brokerage", "0003_notification_emailed_at_rota_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="Offer"),
            ],
        ),
    ]
