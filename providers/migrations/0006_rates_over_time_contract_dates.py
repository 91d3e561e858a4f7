"""Rates over time and per zone; contracts with dates and guaranteed hours.

Each provider's hourly rate becomes its every-zone rate from a date early enough that
nothing already priced changes: the earliest day any care, invoice or provider in the
database has (a rate in force on every day there is anything to price), or today in an
empty database. Each contract is in force from the day it was made (open-ended), with
no guaranteed hours: brokering and invoices stay as they were.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Min

import core.clock

BATCH = 2000


def uk_date(moment):
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).date()


def earliest_day(apps):
    """The first day anything in the database could be priced on."""
    days = [
        apps.get_model("packages", "Package").objects.aggregate(d=Min("start_date"))["d"],
        apps.get_model("packages", "Placement").objects.aggregate(d=Min("starts_on"))["d"],
        apps.get_model("invoicing", "DeliveredVisit").objects.aggregate(d=Min("date"))["d"],
        apps.get_model("invoicing", "Invoice").objects.aggregate(d=Min("period_start"))["d"],
    ]
    created = apps.get_model("providers", "Provider").objects.aggregate(d=Min("created_at"))["d"]
    if created is not None:
        days.append(uk_date(created))
    known = [day for day in days if day is not None]
    return min(known) if known else datetime.datetime.now(ZoneInfo(settings.TIME_ZONE)).date()


def rates_from_providers(apps, schema_editor):
    Provider = apps.get_model("providers", "Provider")
    Rate = apps.get_model("providers", "Rate")
    first = earliest_day(apps)
    now = datetime.datetime.now(datetime.UTC)
    rows = Provider.objects.order_by("pk").values_list("pk", "hourly_rate")
    batch = []
    for pk, hourly_rate in rows.iterator(chunk_size=BATCH):
        batch.append(
            Rate(provider_id=pk, zone=None, hourly_rate=hourly_rate, effective_from=first, created_at=now)
        )
        if len(batch) >= BATCH:
            Rate.objects.bulk_create(batch)
            batch = []
    Rate.objects.bulk_create(batch)


def rates_back_to_providers(apps, schema_editor):
    Provider = apps.get_model("providers", "Provider")
    Rate = apps.get_model("providers", "Rate")
    for rate in Rate.objects.filter(zone__isnull=True).order_by("provider_id", "effective_from"):
        Provider.objects.filter(pk=rate.provider_id).update(hourly_rate=rate.hourly_rate)


def contracts_from_creation(apps, schema_editor):
    Contract = apps.get_model("providers", "Contract")
    for contract in Contract.objects.filter(starts_on__isnull=True).iterator(chunk_size=BATCH):
        contract.starts_on = uk_date(contract.created_at)
        contract.save(update_fields=["starts_on"])


class Migration(migrations.Migration):

    dependencies = [
        ("providers", "0005_contract_role_reserve"),
        ("zones", "0004_choices_checked"),
        ("packages", "0008_list_indexes"),
        ("invoicing", "0006_list_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Rate",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "hourly_rate",
                    models.DecimalField(
                        decimal_places=2,
                        max_digits=7,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                    ),
                ),
                ("effective_from", models.DateField()),
                ("created_at", models.DateTimeField()),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "provider",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rates",
                        to="providers.provider",
                    ),
                ),
                (
                    "zone",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="rates",
                        to="zones.zone",
                    ),
                ),
            ],
            options={
                "ordering": ["provider__code", "zone__code", "-effective_from"],
                "indexes": [
                    models.Index(fields=["provider", "effective_from"], name="rate_provider_from"),
                    models.Index(fields=["effective_from"], name="rate_from"),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("provider", "zone", "effective_from"), name="rate_one_per_zone_and_day"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("zone__isnull", True)),
                        fields=("provider", "effective_from"),
                        name="rate_one_every_zone_per_day",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("hourly_rate__gte", 0)), name="rate_not_negative"
                    ),
                ],
            },
        ),
        migrations.RunPython(rates_from_providers, rates_back_to_providers),
        migrations.RemoveConstraint(model_name="provider", name="provider_rate_not_negative"),
        migrations.RemoveField(model_name="provider", name="hourly_rate"),
        migrations.AddField(
            model_name="contract", name="starts_on", field=models.DateField(null=True)
        ),
        migrations.RunPython(contracts_from_creation, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="contract",
            name="starts_on",
            field=models.DateField(default=core.clock.today),
        ),
        migrations.AddField(
            model_name="contract", name="ends_on", field=models.DateField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="contract",
            name="guaranteed_hours",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0"),
                max_digits=7,
                validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                verbose_name="guaranteed hours a week",
            ),
        ),
        migrations.AddConstraint(
            model_name="contract",
            constraint=models.CheckConstraint(
                condition=models.Q(("ends_on__isnull", True), ("ends_on__gte", models.F("starts_on")), _connector="OR"),
                name="contract_ends_after_start",
            ),
        ),
        migrations.AddConstraint(
            model_name="contract",
            constraint=models.CheckConstraint(
                condition=models.Q(("guaranteed_hours__gte", 0)), name="contract_guarantee_not_negative"
            ),
        ),
    ]
