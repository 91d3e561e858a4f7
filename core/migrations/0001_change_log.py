"""The change log core.fresh reads: each transaction that writes a table a page can show
notes its id in core_change, by a statement trigger on that table (PostgreSQL only; on
SQLite nothing is made and no page is reused).

A migration adding a model's table adds its trigger with core.fresh.track("its_table").
"""

from django.db import migrations

from core.fresh import track

# Once per transaction: its later statements find its row there already.
NOTE_CHANGE = """
CREATE FUNCTION core_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_change (xid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$
"""

# Every model's table at this migration but core.fresh.EXEMPT's.
TRACKED = [
    "accounts_user",
    "accounts_user_groups",
    "accounts_user_user_permissions",
    "accounts_user_zones",
    "auditlog_logentry",
    "auth_group",
    "auth_group_permissions",
    "auth_permission",
    "brokering_offer",
    "brokering_retry",
    "django_admin_log",
    "django_content_type",
    "invoicing_creditnote",
    "invoicing_dailydelivery",
    "invoicing_deadlinenotification",
    "invoicing_deliveredvisit",
    "invoicing_guaranteeweek",
    "invoicing_invoice",
    "invoicing_invoiceline",
    "invoicing_invoicingjob",
    "invoicing_payment",
    "invoicing_paymentrun",
    "invoicing_perioddelivery",
    "packages_commissionedday",
    "packages_commissionedhorizon",
    "packages_commissionedperiod",
    "packages_flexibleplan",
    "packages_handback",
    "packages_package",
    "packages_packageevent",
    "packages_packageversion",
    "packages_person",
    "packages_placement",
    "packages_referralinprogress",
    "packages_review",
    "packages_visit",
    "providers_capacity",
    "providers_contract",
    "providers_provider",
    "providers_rate",
    "replay_simulation",
    "zones_neighbour",
    "zones_postcodedistrict",
    "zones_zone",
]


def create_change_log(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # xid8: the 64-bit transaction id, which never wraps around.
        schema_editor.execute(
            "CREATE TABLE core_change (xid xid8 PRIMARY KEY, "
            "at timestamptz NOT NULL DEFAULT clock_timestamp())"
        )
        schema_editor.execute(NOTE_CHANGE)


def drop_change_log(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION core_note_change() CASCADE")
        schema_editor.execute("DROP TABLE core_change")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_no_knox_table"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auditlog", "0017_add_actor_email"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("brokering", "0003_fill_retries_reasons"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("invoicing", "0017_delivery_rollup_counts_visits"),
        ("notifications", "0003_unemailed_index"),
        ("packages", "0016_spend_periods"),
        ("providers", "0008_contract_guaranteed_index"),
        ("replay", "0001_simulation"),
        ("zones", "0007_rota_label"),
    ]

    operations = [
        migrations.RunPython(create_change_log, drop_change_log, elidable=False),
        track(*TRACKED),
    ]
