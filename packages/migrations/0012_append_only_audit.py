"""The audit trail and the access log are append-only in the database itself.

On PostgreSQL a trigger refuses every UPDATE and DELETE of their rows, whoever sends
it (the app, the Django admin, a shell, a psql session without superuser rights to drop
the trigger). Inserting stays allowed, and so does TRUNCATE, which only an owner may do
(test databases are emptied with it). SQLite, used only by `make run`, has no guard.

A later migration that must rewrite their rows (a model moved between apps changes its
entries' content type) disables the trigger around that one statement.
"""

from django.db import migrations

TABLES = ("auditlog_logentry", "packages_personaccess")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_append_only_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql
"""


def add_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION, params=None)  # its % are for RAISE, not params
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_append_only_change()"
        )


def remove_guard(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS refuse_append_only_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("packages", "0011_commissioned_rollup"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(add_guard, remove_guard)]
