"""Every service writes its audit entry: who (the acting user, or the system), what, when.

The entries are written by the services in their own transaction, so a change
made by a guarded update or a bulk insert is there like any other, and a change
that fails leaves none.
"""

import datetime
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError

from accounts.services import save_account
from brokering import services as brokering
from core.errors import Conflict
from invoicing import services as invoicing
from packages import services as packages
from providers import services as providers
from providers.models import ContractRole
from tests.brokering.factories import OfferFactory, market, open_package
from tests.factories import PlacedPackageFactory, ZoneFactory
from tests.invoicing.conftest import MARCH_1, NOW
from tests.invoicing.factories import ApprovedInvoiceFactory, InvoiceFactory, record
from zones import services as zones
from zones.models import AllocationMode

pytestmark = pytest.mark.django_db


def entries_for(obj, action=None):
    found = LogEntry.objects.get_for_object(obj).order_by("pk")
    return list(found if action is None else found.filter(action=action))


def last_entry(obj):
    return entries_for(obj)[-1]


def test_market_changes_are_audited_with_the_acting_user(commissioner):
    zone = zones.create_zone(by=commissioner, code="EXE", name="Exeter", postcode_districts=["EX1"])
    zones.update_zone(zone_id=zone.pk, by=commissioner, offer_window_minutes=45)
    provider = providers.create_provider(
        by=commissioner, code="ALPHA", name="Alpha", hourly_rate=Decimal("24.96")
    )
    providers.update_provider(provider_id=provider.pk, by=commissioner, name="Alpha Care")
    contract = providers.add_contract(
        by=commissioner, zone=zone, provider=provider, role=ContractRole.FRAMEWORK
    )
    providers.declare_capacity(
        by=commissioner,
        provider=provider,
        zone=zone,
        week_start=datetime.date(2026, 11, 30),
        hours=Decimal("20"),
    )
    providers.remove_contract(contract_id=contract.pk, by=commissioner)

    (created, changed) = entries_for(zone)
    assert (created.action, created.actor) == (LogEntry.Action.CREATE, commissioner)
    assert changed.changes_dict == {"offer_window_minutes": ["240", "45"]}
    assert last_entry(provider).changes_dict == {"name": ["Alpha", "Alpha Care"]}
    removal = LogEntry.objects.filter(action=LogEntry.Action.DELETE, object_id=contract.pk)
    assert removal.get().actor == commissioner
    assert LogEntry.objects.filter(additional_data__zone="EXE").count() >= 3


def test_an_account_change_names_role_and_zones_never_the_password(admin_user, zone_factory):
    user, _ = save_account(username="sam", role="finance", password="x" * 20, by=admin_user)
    save_account(username="sam", role="broker", password="y" * 20, zone_codes=["Z9"], by=admin_user)
    created, changed = entries_for(user)
    assert created.actor == admin_user and changed.actor == admin_user
    assert changed.changes_dict["role"] == ["finance", "broker"]
    assert changed.changes_dict["zones"] == ["", "Z9"]
    assert "x" * 20 not in str(created.changes) and "y" * 20 not in str(changed.changes)


@pytest.fixture
def zone_factory():
    return ZoneFactory(code="Z9")


def test_a_package_and_its_person_are_audited_from_the_referral_on(broker):
    zone = ZoneFactory(districts=["EX1"])
    package = packages.create_package(
        by=broker,
        person={
            "nhs_number": "9990000018",
            "given_name": "Ann",
            "family_name": "Lee",
            "date_of_birth": datetime.date(1940, 1, 1),
            "address_line": "1 High Street",
            "postcode": "EX1 1AA",
        },
        package={
            "source": "community",
            "priority": "standard",
            "start_date": datetime.date.today(),
        },
        visits=[
            {"days": ["mon"], "time": datetime.time(8), "duration_minutes": 30, "purpose": "meal"}
        ],
    )
    assert package.zone == zone
    assert entries_for(package.person)[0].actor == broker
    assert entries_for(package.current_visits.get())[0].action == LogEntry.Action.CREATE
    packages.submit_package(package_id=package.pk, by=broker)
    packages.cancel_package(package_id=package.pk, by=broker, reason="Went to a care home")
    created, submitted, cancelled = entries_for(package)
    assert created.action == LogEntry.Action.CREATE
    assert submitted.changes_dict["status"] == ["draft", "open"] and submitted.actor == broker
    assert cancelled.changes_dict["status"] == ["open", "cancelled"]


def test_brokering_audits_offers_sent_answered_expired_and_withdrawn(provider_user, broker):
    zone, _p = market(AllocationMode.BROADCAST)
    package = open_package(zone)
    sent = brokering.advance_brokering(package_id=package.pk)
    assert {entries_for(offer)[0].action for offer in sent} == {LogEntry.Action.CREATE}
    assert all(entries_for(offer)[0].actor is None for offer in sent)  # the system sent them
    first, second = sent
    first.provider.users.add(provider_user)
    brokering.decline_offer(offer_id=first.pk, by=provider_user, reason="no_capacity")
    assert last_entry(first).changes_dict == {
        "status": ["pending", "declined"],
        "decline_reason": ["", "no_capacity"],
    }
    brokering.withdraw_offers(package_id=package.pk, by=broker)
    assert last_entry(second).changes_dict["status"] == ["pending", "withdrawn"]
    assert last_entry(second).actor == broker


def test_accepting_audits_the_offer_and_the_placement(provider_user, time_machine):
    zone, _p = market(AllocationMode.CASCADE)
    package = open_package(zone)
    (offer,) = brokering.advance_brokering(package_id=package.pk)
    user = provider_user
    user.provider = offer.provider
    user.save()
    brokering.accept_offer(offer_id=offer.pk, by=user)
    assert last_entry(offer).changes_dict == {"status": ["pending", "accepted"]}
    placement = last_entry(package)
    assert placement.actor == user
    assert placement.changes_dict["status"] == ["open", "placed"]
    assert placement.changes_dict["provider_id"] == [None, str(offer.provider_id)]


def test_expiry_and_escalation_are_the_systems(time_machine):
    zone, _p = market(AllocationMode.CASCADE, secondary=False)
    package = open_package(zone)
    (offer,) = brokering.advance_brokering(package_id=package.pk)
    time_machine.move_to(offer.expires_at + datetime.timedelta(minutes=1), tick=False)
    brokering.sweep_brokering()
    assert last_entry(offer).changes_dict == {"status": ["pending", "expired"]}
    escalation = last_entry(package)
    assert escalation.actor is None and escalation.changes_dict == {"escalated": ["False", "True"]}


def test_assigning_by_hand_and_re_brokering_are_audited(broker):
    zone, p = market(AllocationMode.CASCADE)
    package = open_package(zone)
    brokering.rebroker_package(package_id=package.pk, by=broker)
    assert last_entry(package).changes_dict == {"brokering_round": ["1", "2"]}
    brokering.assign_package(package_id=package.pk, provider=p["secondary"], by=broker, reason="x")
    assert last_entry(package).changes_dict["provider_id"] == [None, str(p["secondary"].pk)]
    assert last_entry(package).actor == broker


def test_hand_back_and_end_are_audited(provider_user, broker):
    package = PlacedPackageFactory(provider=provider_user.provider)
    packages.hand_back_package(package_id=package.pk, by=provider_user, reason="No carers")
    assert last_entry(package).changes_dict["status"] == ["placed", "open"]
    assert entries_for(package.hand_backs.get())[0].actor == provider_user
    again = PlacedPackageFactory(provider=provider_user.provider)
    packages.end_package(package_id=again.pk, by=broker)
    assert last_entry(again).changes_dict["status"] == ["placed", "ended"]


def test_invoices_and_payments_are_audited(time_machine, provider_user, finance):
    time_machine.move_to(NOW, tick=False)
    package = PlacedPackageFactory(provider=provider_user.provider, start_date=MARCH_1)
    record(provider_user, package, MARCH_1, "08:00", "08:45")
    invoice = invoicing.build_invoice(
        by=provider_user, period_start=MARCH_1, period_end=MARCH_1, reference="INV-1"
    )
    assert entries_for(invoice)[0].actor == provider_user
    invoicing.approve_invoice(invoice_id=invoice.pk, by=finance)
    invoicing.pay_invoice(
        invoice_id=invoice.pk, by=finance, paid_on=NOW.date(), payment_reference="BACS-1"
    )
    _created, approved, paid = entries_for(invoice)
    assert approved.changes_dict["status"] == ["received", "approved"]
    assert paid.changes_dict["status"] == ["approved", "paid"] and paid.actor == finance

    others = [ApprovedInvoiceFactory(), ApprovedInvoiceFactory()]
    run = invoicing.run_payments(
        by=finance, invoice_ids=[i.pk for i in others], paid_on=NOW.date(), reference="RUN-1"
    )
    assert entries_for(run)[0].actor == finance
    assert all(last_entry(i).changes_dict["status"] == ["approved", "paid"] for i in others)


def test_a_change_that_fails_leaves_no_entry(finance):
    invoice = InvoiceFactory()
    before = LogEntry.objects.count()
    with pytest.raises(ValidationError):
        invoicing.dispute_invoice(invoice_id=invoice.pk, by=finance, reason="")
    paid = ApprovedInvoiceFactory()
    invoicing.pay_invoice(
        invoice_id=paid.pk, by=finance, paid_on=paid.received_on, payment_reference="P"
    )
    after_pay = LogEntry.objects.count()
    with pytest.raises(Conflict):
        invoicing.pay_invoice(
            invoice_id=paid.pk, by=finance, paid_on=paid.received_on, payment_reference="P2"
        )
    assert LogEntry.objects.count() == after_pay == before + 2  # the invoice and its payment


def test_an_answer_refused_for_its_state_is_not_audited(provider_user):
    offer = OfferFactory(provider=provider_user.provider)
    brokering.decline_offer(offer_id=offer.pk, by=provider_user, reason="no_capacity")
    with pytest.raises(Conflict):
        brokering.accept_offer(offer_id=offer.pk, by=provider_user)
    assert [e.changes_dict["status"][1] for e in entries_for(offer)] == ["declined"]


def test_the_admin_reads_the_trail_but_cannot_change_or_delete_it(client, admin_user):
    zone = zones.create_zone(by=admin_user, code="EXE", name="Exeter", postcode_districts=["EX1"])
    entry = entries_for(zone)[0]
    client.force_login(admin_user)
    url = f"/admin/auditlog/logentry/{entry.pk}/"
    assert client.get(url + "change/").status_code == 200  # shown read-only
    assert client.post(url + "delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/auditlog/logentry/add/").status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_changes_to_a_package_and_its_placements_are_audited(broker, provider_org, time_machine):
    time_machine.move_to(NOW, tick=False)
    package = PlacedPackageFactory(provider=provider_org, start_date=MARCH_1)
    version = packages.change_package(
        by=broker,
        package_id=package.pk,
        effective_from=datetime.date(2025, 3, 10),
        visits=[
            {"days": ["mon"], "time": datetime.time(8), "duration_minutes": 60, "purpose": "meal"}
        ],
        reason="Review",
    )
    created = entries_for(version)[0]
    assert (created.action, created.actor) == (LogEntry.Action.CREATE, broker)
    assert entries_for(version.visits.get())[0].actor == broker
    assert last_entry(package).changes_dict == {"weekly_hours": ["5.25", "1.00"]}
    assert last_entry(package).actor == broker
    packages.end_package(package_id=package.pk, by=broker)
    placement = package.placements.get()
    assert last_entry(placement).changes_dict == {"ends_on": [None, "2025-03-12"]}


def test_editing_an_open_package_is_audited(broker):
    zone, _p = market(AllocationMode.CASCADE)
    package = open_package(zone)
    packages.edit_package(by=broker, package_id=package.pk, changes={"priority": "urgent"})
    changes = [entry.changes_dict for entry in entries_for(package)]
    assert any(change.get("priority") == ["standard", "urgent"] for change in changes)
    assert any(change.get("brokering_round") == ["1", "2"] for change in changes)
