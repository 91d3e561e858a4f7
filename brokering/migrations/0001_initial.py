"""Offers move from the project package (brokerage) to the brokering app, rows and all.

The table is renamed rather than copied, so every offer keeps its id, and the
content type follows it, so the audit entries and permissions about offers
still point at them. On a new database brokerage's migrations create the
table first and this renames it, so both paths end the same.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="brokerage", model="offer").update(app_label="brokering")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="brokering", model="offer").update(app_label="brokerage")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('brokerage', '0004_offer_and_notification_moved'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('packages', '0004_package_in_care_index'),
        ('providers', '0003_choices_checked'),
        ('zones', '0004_choices_checked'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE brokerage_offer RENAME TO brokering_offer",
                    "ALTER TABLE brokering_offer RENAME TO brokerage_offer",
                ),
            ],
            state_operations=[
        migrations.CreateModel(
            name='Offer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('round', models.PositiveIntegerField(help_text="The package's brokering round when sent.")),
                ('status', models.CharField(choices=[('pending', 'Waiting for an answer'), ('accepted', 'Accepted'), ('declined', 'Declined'), ('expired', 'Expired'), ('withdrawn', 'Withdrawn')], default='pending', max_length=10)),
                ('sent_at', models.DateTimeField()),
                ('expires_at', models.DateTimeField()),
                ('answered_at', models.DateTimeField(blank=True, null=True)),
                ('decline_reason', models.CharField(blank=True, choices=[('no_capacity', 'No capacity'), ('not_in_area', 'Not in our area'), ('skills_needed', 'Skills needed that we do not have'), ('other', 'Other')], max_length=20)),
                ('decline_detail', models.TextField(blank=True)),
                ('withdrawn_because', models.CharField(blank=True, choices=[('taken', 'Taken by another provider'), ('assigned', 'Assigned by a broker'), ('cancelled', 'Package cancelled'), ('broker', 'Withdrawn by a broker'), ('rebrokered', 'Package re-brokered')], max_length=12)),
                ('rota_period', models.IntegerField(blank=True, null=True)),
                ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('package', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='offers', to='packages.package')),
                ('provider', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offers', to='providers.provider')),
                ('rota_zone', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='zones.zone')),
            ],
            options={
                'ordering': ['-sent_at', '-pk'],
                'indexes': [models.Index(fields=['status', 'expires_at'], name='offer_status_expiry'), models.Index(fields=['provider', 'status'], name='offer_provider_status'), models.Index(fields=['package', 'round', 'status'], name='offer_package_round'), models.Index(fields=['sent_at'], include=('provider', 'status', 'answered_at', 'package'), name='offer_sent_at_covering'), models.Index(fields=['provider', 'sent_at'], name='offer_provider_sent_at'), models.Index(condition=models.Q(('rota_zone__isnull', False)), fields=['rota_zone', 'sent_at'], name='offer_rota_sent_at')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'accepted')), fields=('package', 'round'), name='offer_one_accepted_per_round'), models.UniqueConstraint(fields=('package', 'round', 'provider'), name='offer_one_per_provider_per_round'), models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'accepted', 'declined', 'expired', 'withdrawn'])), name='offer_status_valid'), models.CheckConstraint(condition=models.Q(('expires_at__gt', models.F('sent_at'))), name='offer_expires_after_sent'), models.CheckConstraint(condition=models.Q(models.Q(('status__in', ['accepted', 'declined']), _negated=True), ('answered_at__isnull', False), _connector='OR'), name='offer_answered_has_time'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'declined'), _negated=True), models.Q(('decline_reason', ''), _negated=True), _connector='OR'), name='offer_declined_has_reason'), models.CheckConstraint(condition=models.Q(models.Q(('rota_period__isnull', True), ('rota_zone__isnull', True)), models.Q(('rota_period__isnull', False), ('rota_zone__isnull', False)), _connector='OR'), name='offer_rota_fields_paired')],
            },
        ),
            ],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
