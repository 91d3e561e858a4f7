"""The daily delivery rollup (DailyDelivery), filled from the delivered visits in one
statement; the visits' zone and base rate, now backfilled, become required."""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
    INSERT INTO invoicing_dailydelivery (zone_id, date, delivered_minutes,
        delivered_minute_pounds, payable_minutes, payable_minute_pounds)
    SELECT zone_id, date, SUM(actual_minutes * carers),
           SUM(actual_minutes * carers * base_rate),
           SUM(COALESCE(paid_minutes, payable_minutes)),
           SUM(COALESCE(paid_minutes, payable_minutes) * COALESCE(rate, base_rate))
    FROM invoicing_deliveredvisit
    WHERE NOT missed
    GROUP BY zone_id, date"""


def fill(apps, schema_editor):
    schema_editor.execute(FILL)


class Migration(migrations.Migration):
    dependencies = [
        ("invoicing", "0003_deliveredvisit_zone_base_rate"),
        ("zones", "0004_choices_checked"),
    ]

    operations = [
        migrations.AlterField(
            model_name="deliveredvisit",
            name="zone",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="zones.zone",
            ),
        ),
        migrations.AlterField(
            model_name="deliveredvisit",
            name="base_rate",
            field=models.DecimalField(
                decimal_places=2,
                help_text="The provider's hourly rate (before uplifts) when the visit was recorded.",
                max_digits=7,
            ),
        ),
        migrations.CreateModel(
            name="DailyDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField()),
                ("delivered_minutes", models.BigIntegerField(default=0)),
                (
                    "delivered_minute_pounds",
                    models.DecimalField(decimal_places=4, default=0, max_digits=20),
                ),
                ("payable_minutes", models.BigIntegerField(default=0)),
                (
                    "payable_minute_pounds",
                    models.DecimalField(decimal_places=4, default=0, max_digits=20),
                ),
                (
                    "zone",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="zones.zone",
                    ),
                ),
            ],
            options={
                "ordering": ["date", "zone_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("date", "zone"), name="daily_delivery_per_zone_and_day"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
