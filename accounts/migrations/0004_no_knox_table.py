from django.db import migrations


class Migration(migrations.Migration):
    """Knox's unused table, built by its migrations before they were switched off (settings,
    MIGRATION_MODULES): nothing writes it, and its key on accounts_user blocks a flush."""

    dependencies = [("accounts", "0003_api_tokens")]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS knox_authtoken", migrations.RunSQL.noop),
        migrations.RunSQL("DELETE FROM django_migrations WHERE app = 'knox'", migrations.RunSQL.noop),
    ]
