"""Each delivered visit keeps the zone its care was delivered in and the provider's base
rate when it was recorded (the daily delivery rollup is priced from them). Existing
visits take their package's zone and their provider's rate now, set in one statement."""

import django.db.models.deletion
from django.db import migrations, models

BACKFILL = {
    "postgresql": """
        UPDATE invoicing_deliveredvisit AS v
        SET zone_id = p.zone_id, base_rate = pr.hourly_rate
        FROM packages_package AS p, providers_provider AS pr
        WHERE p.id = v.package_id AND pr.id = v.provider_id""",
    "sqlite": """
        UPDATE invoicing_deliveredvisit
        SET zone_id = (SELECT p.zone_id FROM packages_package AS p
                       WHERE p.id = invoicing_deliveredvisit.package_id),
            base_rate = (SELECT pr.hourly_rate FROM providers_provider AS pr
                         WHERE pr.id = invoicing_deliveredvisit.provider_id)""",
}


def backfill(apps, schema_editor):
    schema_editor.execute(BACKFILL[schema_editor.connection.vendor])


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0002_deliveredvisit_date_index"),
        ("packages", "0004_package_in_care_index"),
        ("providers", "0003_choices_checked"),
        ("zones", "0004_choices_checked"),
    ]

    operations = [
        migrations.AddField(
            model_name="deliveredvisit",
            name="zone",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="zones.zone",
            ),
        ),
        migrations.AddField(
            model_name="deliveredvisit",
            name="base_rate",
            field=models.DecimalField(
                decimal_places=2,
                help_text="The provider's hourly rate (before uplifts) when the visit was recorded.",
                max_digits=7,
                null=True,
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
