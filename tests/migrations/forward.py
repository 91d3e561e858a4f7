"""Build a database as the previous main left it, fill it, migrate it forward, report what is there.

Run as `python -m tests.migrations.forward` with DATABASE_URL naming an empty database
(SQLite or PostgreSQL): the test runs it in a process of its own, so that the database it
builds is neither the test database nor Django's test runner's.

The previous main is the last landed release: each app at the migration it had then
(PREVIOUS_MAIN); apps that did not exist then are absent. `seed` writes rows through
the historical models of that schema; after `migrate` to the newest, `facts` reads them
back through today's models and prints them as JSON for the test to check.
"""

import datetime
import json
import os
from decimal import Decimal
from zoneinfo import ZoneInfo

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokerage.settings")

# Each project app's newest migration on the previous main; None: the app did not exist.
PREVIOUS_MAIN = {
    "accounts": "0002_choices_checked",
    "zones": "0004_choices_checked",
    "providers": "0003_choices_checked",
    "packages": "0004_package_in_care_index",
    "brokerage": "0003_notification_emailed_at_rota_index",
    "invoicing": "0004_dailydelivery",
    "brokering": None,
    "notifications": None,
    "core": None,
}
NOW = datetime.datetime(2026, 11, 30, 10, 0, tzinfo=datetime.UTC)


def main():
    django.setup()
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    newest = executor.loader.graph.leaf_nodes()
    previous = [
        (app, PREVIOUS_MAIN.get(app, name))
        for app, name in newest
        if PREVIOUS_MAIN.get(app, name) is not None
    ]
    executor.migrate(previous)
    seed(executor.loader.project_state(previous).apps)
    MigrationExecutor(connection).migrate(newest)
    print(json.dumps(facts(), default=str))


def seed(apps):
    """A little of everything the previous main held, through its own historical models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    LogEntry = apps.get_model("auditlog", "LogEntry")
    User = apps.get_model("accounts", "User")
    Zone = apps.get_model("zones", "Zone")
    Provider = apps.get_model("providers", "Provider")
    Person = apps.get_model("packages", "Person")
    Package = apps.get_model("packages", "Package")
    Offer = apps.get_model("brokerage", "Offer")
    Notification = apps.get_model("brokerage", "Notification")
    Invoice = apps.get_model("invoicing", "Invoice")
    DeadlineNotification = apps.get_model("invoicing", "DeadlineNotification")

    broker = User.objects.create(username="broker", role="broker", email="b@example.org")
    office = Provider.objects.create(
        code="ALPHA", name="Alpha Care", cqc_rating="good", status="active", hourly_rate="24.96"
    )
    staff = User.objects.create(username="alpha", role="provider", provider=office)
    zone = Zone.objects.create(code="EX", name="Exeter", allocation_mode="cascade")
    Contract = apps.get_model("providers", "Contract")
    Contract.objects.create(zone=zone, provider=office, role="primary", share_percent=80)
    person = Person.objects.create(
        nhs_number="9990000018",
        given_name="Mary",
        family_name="Jones",
        date_of_birth=datetime.date(1940, 1, 2),
        address_line="1 Quiet Close",
        postcode="EX2 7AA",
    )
    package = Package.objects.create(
        person=person,
        zone=zone,
        source="community",
        status="open",
        start_date=datetime.date(2026, 12, 1),
        weekly_hours=Decimal("7.00"),
        brokering_round=1,
        submitted_at=NOW,
    )
    offers = [
        Offer.objects.create(
            package=package,
            provider=office,
            round=round_,
            status=status,
            sent_at=NOW,
            expires_at=NOW + datetime.timedelta(hours=1),
            answered_at=NOW if status == "declined" else None,
            decline_reason="no_capacity" if status == "declined" else "",
        )
        for round_, status in ((1, "declined"), (2, "pending"))
    ]
    Notification.objects.create(
        recipient=staff,
        kind="offer",
        text=f"New offer: package {package.pk}",
        link=f"/brokering/offers/{offers[1].pk}/",
        created_at=NOW,
        emailed_at=NOW,
    )
    Notification.objects.create(
        recipient=broker,
        kind="escalated",
        text=f"Package {package.pk} escalated",
        link=f"/packages/{package.pk}/",
        created_at=NOW,
        read_at=NOW,
        emailed_at=NOW,
    )
    offer_type = ContentType.objects.get_or_create(app_label="brokerage", model="offer")[0]
    LogEntry.objects.create(
        content_type=offer_type,
        object_pk=str(offers[0].pk),
        object_id=offers[0].pk,
        object_repr="an offer",
        action=1,
        changes={"status": ["pending", "declined"]},
        actor=staff,
        timestamp=NOW,
    )
    invoice = Invoice.objects.create(
        provider=office,
        reference="INV-1",
        period_start=datetime.date(2026, 10, 1),
        period_end=datetime.date(2026, 10, 28),
        received_on=datetime.date(2026, 11, 1),
        due_by=datetime.date(2026, 11, 29),
        total=Decimal("100.00"),
        created_at=NOW,
    )
    DeadlineNotification.objects.create(
        invoice=invoice, status="due_soon", sent_at=NOW, recipients="finance@example.org"
    )
    seed_schedules_and_placements(apps, person, zone, office, package)


def seed_schedules_and_placements(apps, person, zone, office, open_package):
    """Visits and a plan on packages (they move to each package's first version), and a
    package handed back by one provider and placed with another (two placements)."""
    Provider = apps.get_model("providers", "Provider")
    Package = apps.get_model("packages", "Package")
    Visit = apps.get_model("packages", "Visit")
    FlexiblePlan = apps.get_model("packages", "FlexiblePlan")
    HandBack = apps.get_model("packages", "HandBack")
    PackageEvent = apps.get_model("packages", "PackageEvent")
    other = Provider.objects.create(
        code="BETA", name="Beta Care", cqc_rating="good", status="active", hourly_rate="25.00"
    )
    for time, minutes in (("08:00", 45), ("18:00", 30)):
        Visit.objects.create(
            package=open_package,
            days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            time=time,
            duration_minutes=minutes,
            carers=1,
            purpose="personal_care",
        )
    FlexiblePlan.objects.create(
        package=open_package,
        week1_hours=8,
        week2_hours=6,
        week3_hours=8,
        week4_hours=6,
        contingency_hours=2,
    )
    placed = Package.objects.create(
        person=person,
        zone=zone,
        source="hospital_discharge",
        status="placed",
        start_date=datetime.date(2026, 11, 2),
        weekly_hours=Decimal("3.50"),
        brokering_round=2,
        submitted_at=NOW - datetime.timedelta(days=28),
        provider=other,
        placed_at=NOW - datetime.timedelta(days=10),
    )
    Visit.objects.create(
        package=placed, days=["mon"], time="09:00", duration_minutes=210, purpose="sitting"
    )
    PackageEvent.objects.create(
        package=placed, kind="placed", at=NOW - datetime.timedelta(days=27), provider=office
    )
    HandBack.objects.create(
        package=placed,
        provider=office,
        reason="No carers",
        at=NOW - datetime.timedelta(days=12),
    )
    PackageEvent.objects.create(
        package=placed, kind="placed", at=NOW - datetime.timedelta(days=10), provider=other
    )
    seed_delivered_visits(apps, placed, other, zone)


def seed_delivered_visits(apps, package, provider, zone):
    """Two Mondays' sits delivered, counted in the daily rollup as the previous main kept
    it, and a third Monday's missed (no rollup row: nothing was delivered that day)."""
    DeliveredVisit = apps.get_model("invoicing", "DeliveredVisit")
    DailyDelivery = apps.get_model("invoicing", "DailyDelivery")
    for day, missed in ((9, False), (16, False), (23, True)):
        date = datetime.date(2026, 11, day)
        minutes = 0 if missed else 210
        DeliveredVisit.objects.create(
            package=package,
            provider=provider,
            zone=zone,
            date=date,
            actual_start=None if missed else datetime.time(9, 0),
            actual_end=None if missed else datetime.time(12, 30),
            planned_start=datetime.time(9, 0),
            planned_minutes=210,
            actual_minutes=minutes,
            payable_minutes=minutes,
            missed=missed,
            base_rate=Decimal("25.00"),
            recorded_at=NOW,
        )
        if not missed:
            DailyDelivery.objects.create(
                zone=zone,
                date=date,
                delivered_minutes=minutes,
                delivered_minute_pounds=Decimal(minutes) * Decimal("25.00") / 60,
                payable_minutes=minutes,
                payable_minute_pounds=Decimal(minutes) * Decimal("25.00") / 60,
            )


def facts():
    """What the migrated database holds, read through today's models."""
    from auditlog.models import LogEntry

    from brokering.models import Offer
    from invoicing.models import DeadlineNotification, Invoice
    from notifications.models import Notification

    return {
        "offers": list(Offer.objects.order_by("pk").values("pk", "round", "status", "package")),
        "notifications": list(
            Notification.objects.order_by("pk").values(
                "recipient__username", "kind", "message", "link", "package_id", "read_at", "event"
            )
        ),
        "offer_audit": [
            (entry.content_type.app_label, entry.content_type.model, entry.object_id)
            for entry in LogEntry.objects.all()
        ],
        "deadline_warnings": list(DeadlineNotification.objects.values_list("status", flat=True)),
        # The last warning given, kept on the invoice since (the deadline check's index).
        "invoice_warned": list(Invoice.objects.values_list("deadline_warning", flat=True)),
        **schedules_and_placements(),
        **rates_and_contracts(),
        **delivery_rollup(),
    }


def delivery_rollup():
    from invoicing.models import DailyDelivery, DeliveredVisit, PeriodDelivery

    return {
        "delivered_visits": list(
            DeliveredVisit.objects.order_by("date").values_list("date", "missed", "actual_minutes")
        ),
        "daily_delivery": list(
            DailyDelivery.objects.order_by("date").values_list(
                "date", "visits", "delivered_minutes"
            )
        ),
        "period_delivery": list(
            PeriodDelivery.objects.order_by("period_start").values_list(
                "period_start", "visits", "delivered_minutes"
            )
        ),
    }


def rates_and_contracts():
    from providers.models import Contract, Rate

    return {
        "rates": [
            (r.provider.code, r.zone_id, str(r.hourly_rate), str(r.effective_from))
            for r in Rate.objects.order_by("provider__code").select_related("provider")
        ],
        "contracts": [
            (c.provider.code, c.role, c.share_percent, str(c.guaranteed_hours), c.ends_on)
            for c in Contract.objects.select_related("provider")
        ],
        "contracts_start_on_their_creation": all(
            c.starts_on == c.created_at.astimezone(ZoneInfo("Europe/London")).date()
            for c in Contract.objects.all()
        ),
    }


def schedules_and_placements():
    from packages.models import Package

    packages = Package.objects.order_by("pk").prefetch_related(
        "versions__visits", "versions__flexible_plan", "placements__provider"
    )
    return {
        "versions": {
            package.pk: [
                {
                    "number": version.number,
                    "effective_from": version.effective_from,
                    "weekly_hours": version.weekly_hours,
                    "visits": [(str(v.time), v.duration_minutes) for v in version.visits.all()],
                    "plan": (
                        [str(h) for h in version.flexible_plan.week_hours]
                        if hasattr(version, "flexible_plan")
                        else None
                    ),
                }
                for version in package.versions.all()
            ]
            for package in packages
        },
        "placements": {
            package.pk: [
                (p.provider.code, str(p.starts_on), str(p.ends_on) if p.ends_on else None)
                for p in package.placements.all()
            ]
            for package in packages
        },
    }


if __name__ == "__main__":
    main()
