# The index on recorded_by goes; its foreign key stays as it is. (AlterField would drop and
# add the foreign key again, checking every visit ever recorded under a lock of the table.)

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEX = "invoicing_deliveredvisit_recorded_by_id_6e98fb8e"


class Migration(migrations.Migration):

    dependencies = [
        ('invoicing', '0015_unpaid_due_covers_totals'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='deliveredvisit',
                    name='recorded_by',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "invoicing_deliveredvisit" ("recorded_by_id")',
                ),
            ],
        ),
    ]
