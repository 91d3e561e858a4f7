"""v1.1 Money: the preview, paying only approved invoices, holding single lines, credit
notes, withdrawing an invoice and the payment run's file for the finance system."""

import csv
import datetime
import io
import threading
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.db import connection

from core.errors import Conflict
from invoicing import services
from invoicing.models import (
    CreditNote,
    DeliveredVisit,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)
from tests.factories import PlacedPackageFactory
from tests.invoicing.conftest import MARCH_1
from tests.invoicing.factories import ApprovedInvoiceFactory, InvoiceFactory, record

URL = "/api/v1/invoices/"
BODY = {"period_start": "2025-03-01", "period_end": "2025-03-11", "reference": "A-001"}
pytestmark = pytest.mark.django_db


def march(day):
    return datetime.date(2025, 3, day)


def deliver(user, package, days, start="08:00", end="08:45"):
    for day in days:
        record(user, package, march(day), start, end)


@pytest.fixture
def two_packages(provider_user, package):
    """Two packages of provider1 with visits on 1 to 11 March (the second's 30 minutes)."""
    second = PlacedPackageFactory(provider=provider_user.provider, start_date=MARCH_1)
    deliver(provider_user, package, range(1, 12))
    deliver(provider_user, second, range(1, 12), end="08:30")
    return package, second


def post(client, path, payload=None):
    return client.post(path, payload or {}, format="json")


def sent(api, provider_user):
    response = post(api(provider_user), URL, BODY)
    assert response.status_code == 201, response.json()
    return response.json()


# Preview, then send


def test_the_preview_is_what_the_build_builds_and_saves_nothing(api, provider_user, package):
    deliver(provider_user, package, [day for day in range(1, 12) if day != 5])
    counts = (
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        DeliveredVisit.objects.count(),
        LogEntry.objects.count(),
    )
    preview = post(api(provider_user), f"{URL}preview/", BODY)
    assert preview.status_code == 200, preview.json()
    assert counts == (
        Invoice.objects.count(),
        InvoiceLine.objects.count(),
        DeliveredVisit.objects.count(),
        LogEntry.objects.count(),
    )
    assert not DeliveredVisit.objects.filter(invoice_line__isnull=False).exists()
    built = sent(api, provider_user)
    assert preview.json()["total"] == built["total"] == "187.20"  # 10 x 45 minutes at 24.96
    (line,) = preview.json()["lines"]
    (built_line,) = built["lines"]
    for field in ("package", "payable_hours", "delivered_hours", "amount", "missed_visits"):
        assert line[field] == built_line[field]


def test_the_preview_tells_visits_not_recorded_from_visits_missed(
    api, provider_user, package, time_machine
):
    time_machine.move_to(datetime.datetime(2025, 3, 12, 18, 0, tzinfo=datetime.UTC), tick=False)
    deliver(provider_user, package, [day for day in range(1, 12) if day not in (4, 5)])
    record(provider_user, package, march(4), "08:00", "08:00")  # ECM: missed
    body = {**BODY, "period_end": "2025-03-12"}  # today's 08:00 visit is not counted
    preview = post(api(provider_user), f"{URL}preview/", body).json()
    assert (preview["missed_visits"], preview["not_recorded_visits"]) == (1, 1)
    (line,) = preview["lines"]
    assert (line["missed_visits"], line["not_recorded_visits"], line["visits"]) == (2, 1, 9)


def test_the_preview_refuses_what_the_build_would(api, provider_user, package):
    client = api(provider_user)
    nothing = post(client, f"{URL}preview/", BODY)
    assert nothing.status_code == 400
    assert "non_field_errors" in nothing.json()
    deliver(provider_user, package, [1])
    sent(api, provider_user)
    deliver(provider_user, package, [2])
    taken = post(client, f"{URL}preview/", BODY)
    assert taken.status_code == 400
    assert "reference" in taken.json()
    assert post(client, f"{URL}preview/", {**BODY, "period_end": "x"}).status_code == 400


def test_who_may_preview(api, users, package):
    assert post(api(), f"{URL}preview/", BODY).status_code == 401
    assert post(api(users["commissioner"]), f"{URL}preview/", BODY).status_code == 403


def test_the_provider_withdraws_an_invoice_not_yet_approved(api, provider_user, package):
    deliver(provider_user, package, [day for day in range(1, 12) if day != 5])
    first = sent(api, provider_user)
    assert DeliveredVisit.objects.filter(actual_start__isnull=True).count() == 1
    response = post(api(provider_user), f"{URL}{first['id']}/withdraw/")
    assert response.status_code == 204
    assert not Invoice.objects.exists()
    assert api(provider_user).get(f"{URL}{first['id']}/").status_code == 404
    # The status stays one of the contract's four; the audit trail keeps the invoice whole.
    entry = LogEntry.objects.get(object_pk=str(first["id"]), action=LogEntry.Action.DELETE)
    assert entry.actor == provider_user
    assert entry.changes["status"] == ["received", "withdrawn"]
    assert (entry.changes["reference"], entry.changes["total"]) == (
        ["A-001", None],
        ["187.20", None],
    )
    assert (
        f"Package {package.pk} on invoice {first['id']}: 7.50 hours payable, 187.20"
        in (entry.changes["lines"][0])
    )
    # The visits are free again, and the one with no record can still be recorded.
    assert not DeliveredVisit.objects.filter(actual_start__isnull=True).exists()
    assert not DeliveredVisit.objects.filter(paid_minutes__isnull=False).exists()
    deliver(provider_user, package, [5])
    again = sent(api, provider_user)
    assert again["total"] == "205.92"  # 11 x 45 minutes at 24.96


def test_an_approved_invoice_cannot_be_withdrawn(api, users, package):
    deliver(users["provider"], package, [1])
    invoice = sent(api, users["provider"])
    assert post(api(users["other_provider"]), f"{URL}{invoice['id']}/withdraw/").status_code == 404
    post(api(users["finance"]), f"{URL}{invoice['id']}/approve/")
    assert post(api(users["provider"]), f"{URL}{invoice['id']}/withdraw/").status_code == 409
    assert Invoice.objects.filter(pk=invoice["id"]).exists()


# Paying only approved invoices


def test_paying_an_invoice_not_approved_is_409(api, users, now):
    finance = api(users["finance"])
    for status in (InvoiceStatus.RECEIVED, InvoiceStatus.DISPUTED):
        invoice = InvoiceFactory(status=status)
        payment = {"paid_on": "2025-03-12", "payment_reference": "BACS-1"}
        assert post(finance, f"{URL}{invoice.pk}/pay/", payment).status_code == 409
        invoice.refresh_from_db()
        assert invoice.paid_on is None
    assert not Payment.objects.exists()


# Line disputes


def pay(client, invoice_id, day="2025-03-12", reference="BACS-1"):
    return post(client, f"{URL}{invoice_id}/pay/", {"paid_on": day, "payment_reference": reference})


def test_a_disputed_line_is_held_and_paid_once_released(api, users, two_packages):
    invoice = sent(api, users["provider"])
    held, rest = invoice["lines"]
    finance = api(users["finance"])
    disputed = post(
        finance, f"{URL}{invoice['id']}/lines/{held['id']}/dispute/", {"reason": "3 March"}
    )
    assert disputed.status_code == 200, disputed.json()
    assert disputed.json()["held_total"] == held["amount"]
    assert post(finance, f"{URL}{invoice['id']}/approve/").json()["status"] == "approved"
    paid = pay(finance, invoice["id"])
    assert paid.status_code == 200
    assert paid.json()["payments"] == [
        {
            "paid_on": "2025-03-12",
            "payment_reference": "BACS-1",
            "amount": rest["amount"],
            "payment_run": None,
        }
    ]
    assert paid.json()["status"] == "approved"  # a line is still held
    assert pay(finance, invoice["id"], reference="BACS-2").status_code == 409
    seen = api(users["provider"]).get(f"{URL}{invoice['id']}/").json()
    assert [(line["held"], line["hold_reason"]) for line in seen["lines"]] == [
        (True, "3 March"),
        (False, ""),
    ]

    released = post(finance, f"{URL}{invoice['id']}/lines/{held['id']}/release/")
    assert released.status_code == 200
    assert released.json()["held_total"] == "0.00"
    last = pay(finance, invoice["id"], reference="BACS-2").json()
    assert last["status"] == "paid"
    assert [p["amount"] for p in last["payments"]] == [rest["amount"], held["amount"]]
    assert sum(Decimal(p["amount"]) for p in last["payments"]) == Decimal(invoice["total"])
    assert (last["paid_on"], last["payment_reference"]) == ("2025-03-12", "BACS-1")
    assert pay(finance, invoice["id"], reference="BACS-3").status_code == 409


def test_a_held_line_does_not_make_the_invoice_late(api, users, two_packages, time_machine):
    invoice = sent(api, users["provider"])
    finance = api(users["finance"])
    line = invoice["lines"][0]["id"]
    post(finance, f"{URL}{invoice['id']}/lines/{line}/dispute/", {"reason": "Visits on 3 March"})
    post(finance, f"{URL}{invoice['id']}/approve/")
    pay(finance, invoice["id"])
    # Six weeks on, past its due date (9 April): the held line neither warns nor makes it late.
    time_machine.move_to(datetime.datetime(2025, 4, 23, 10, 0, tzinfo=datetime.UTC), tick=False)
    assert services.check_invoice_deadlines() == 0
    finance = api(users["finance"])  # a token of the day: the first has expired
    post(finance, f"{URL}{invoice['id']}/lines/{line}/release/")
    last = pay(finance, invoice["id"], day="2025-04-23", reference="BACS-2").json()
    assert (last["status"], last["deadline_status"]) == ("paid", "met")


def test_line_disputes_refused(api, users, two_packages, other_package):
    invoice = sent(api, users["provider"])
    line = invoice["lines"][0]["id"]
    finance, base = api(users["finance"]), f"{URL}{invoice['id']}/lines/"
    assert post(finance, f"{base}{line}/dispute/", {"reason": " "}).status_code == 400
    assert post(finance, f"{base}{line}/release/").status_code == 409  # not held
    assert post(finance, f"{base}999999/dispute/", {"reason": "x"}).status_code == 404
    assert (
        post(api(users["provider"]), f"{base}{line}/dispute/", {"reason": "x"}).status_code == 403
    )
    other = InvoiceFactory()
    assert (
        post(finance, f"{URL}{other.pk}/lines/{line}/dispute/", {"reason": "x"}).status_code == 404
    )
    assert post(finance, f"{base}{line}/dispute/", {"reason": "x"}).status_code == 200
    assert post(finance, f"{base}{line}/dispute/", {"reason": "x"}).status_code == 409
    post(finance, f"{base}{line}/release/")
    post(finance, f"{URL}{invoice['id']}/approve/")
    pay(finance, invoice["id"])
    assert post(finance, f"{base}{line}/dispute/", {"reason": "late"}).status_code == 409  # paid


def test_every_line_held_leaves_nothing_to_pay(api, users, two_packages):
    invoice = sent(api, users["provider"])
    finance = api(users["finance"])
    for line in invoice["lines"]:
        post(finance, f"{URL}{invoice['id']}/lines/{line['id']}/dispute/", {"reason": "x"})
    post(finance, f"{URL}{invoice['id']}/approve/")
    assert pay(finance, invoice["id"]).status_code == 409


def test_an_invoice_with_every_line_held_is_not_overdue(api, users, two_packages, time_machine):
    """Nothing on it is due while every line is held: past its due date it is neither
    overdue nor warned of; once a line is released it owes that line, and is overdue."""
    invoice = sent(api, users["provider"])
    finance = api(users["finance"])
    for line in invoice["lines"]:
        post(finance, f"{URL}{invoice['id']}/lines/{line['id']}/dispute/", {"reason": "x"})
    time_machine.move_to(datetime.datetime(2025, 4, 23, 10, 0, tzinfo=datetime.UTC), tick=False)
    finance = api(users["finance"])  # a token of the day
    assert services.check_invoice_deadlines() == 0
    seen = finance.get(f"{URL}{invoice['id']}/").json()
    assert (seen["deadline_status"], seen["held_total"]) == ("ok", invoice["total"])
    assert finance.get(f"{URL}?deadline_status=overdue").json()["count"] == 0
    assert finance.get(f"{URL}?deadline_status=ok").json()["count"] == 1

    post(finance, f"{URL}{invoice['id']}/lines/{invoice['lines'][0]['id']}/release/")
    assert finance.get(f"{URL}{invoice['id']}/").json()["deadline_status"] == "overdue"
    assert finance.get(f"{URL}?deadline_status=overdue").json()["count"] == 1
    assert services.check_invoice_deadlines() == 1


# Credit notes and the payment run's file


def paid_invoice(api, users):
    invoice = sent(api, users["provider"])
    finance = api(users["finance"])
    post(finance, f"{URL}{invoice['id']}/approve/")
    return pay(finance, invoice["id"]).json()


def test_a_credit_note_only_on_a_paid_invoice_and_within_what_was_paid(api, users, package):
    deliver(users["provider"], package, range(1, 12))
    finance = api(users["finance"])
    unpaid = ApprovedInvoiceFactory()
    note = {"amount": "10.00", "reason": "Visit on 3 March was 15 minutes"}
    assert post(finance, f"{URL}{unpaid.pk}/credit-notes/", note).status_code == 409
    invoice = paid_invoice(api, users)  # 205.92
    path = f"{URL}{invoice['id']}/credit-notes/"
    assert post(api(users["provider"]), path, note).status_code == 403
    for bad, field in (({**note, "amount": "0"}, "amount"), ({"amount": "5"}, "reason")):
        response = post(finance, path, bad)
        assert response.status_code == 400
        assert field in response.json()
    created = post(finance, path, note)
    assert created.status_code == 201
    assert created.json()["amount"] == "10.00"
    assert post(finance, path, {**note, "amount": "195.93"}).json().keys() == {"amount"}
    assert post(finance, path, {**note, "amount": "195.92"}).status_code == 201
    shown = finance.get(f"{URL}{invoice['id']}/").json()["credit_notes"]
    assert [n["amount"] for n in shown] == ["10.00", "195.92"]


def run_csv(client, run_id):
    response = client.get(f"/invoices/payment-runs/{run_id}/?format=csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_next_payment_run_nets_a_credit_note_as_a_negative_row(
    api, client, users, package, provider_org
):
    provider_org.supplier_reference = "-00042"
    provider_org.save()
    deliver(users["provider"], package, range(1, 12))
    invoice = paid_invoice(api, users)
    finance = api(users["finance"])
    post(finance, f"{URL}{invoice['id']}/credit-notes/", {"amount": "20.00", "reason": "Overpaid"})
    later = ApprovedInvoiceFactory(provider=provider_org, total=Decimal("100.00"))
    run = post(
        finance,
        "/api/v1/payment-runs/",
        {"invoices": [later.pk], "paid_on": "2025-03-12", "reference": "=RUN-7"},
    )
    assert run.status_code == 201, run.json()
    assert run.json()["total"] == "80.00"
    assert run.json()["credit_notes"] == [CreditNote.objects.get().pk]
    client.force_login(users["finance"])
    rows = run_csv(client, run.json()["id"])
    assert [(row["kind"], row["amount"]) for row in rows] == [
        ("invoice", "100.00"),
        ("credit_note", "-20.00"),
    ]
    # References reach the finance system exactly as entered.
    assert {row["supplier_reference"] for row in rows} == {"-00042"}
    assert {row["payment_run"] for row in rows} == {"=RUN-7"}
    # A credit note is netted once.
    again = ApprovedInvoiceFactory(provider=provider_org)
    second = post(
        finance,
        "/api/v1/payment-runs/",
        {"invoices": [again.pk], "paid_on": "2025-03-12", "reference": "RUN-8"},
    )
    assert second.json()["total"] == "100.00"


def test_supplier_reference_through_the_api(api, users, provider_org):
    path = f"/api/v1/providers/{provider_org.code}/"
    client = api(users["commissioner"])
    response = client.patch(path, {"supplier_reference": "+44-SUP/0042"}, format="json")
    assert response.status_code == 200, response.json()
    assert client.get(path).json()["supplier_reference"] == "+44-SUP/0042"


def test_a_payment_run_pays_what_is_left_after_a_held_line(api, users, two_packages):
    invoice = sent(api, users["provider"])
    held, rest = invoice["lines"]
    finance = api(users["finance"])
    post(finance, f"{URL}{invoice['id']}/lines/{held['id']}/dispute/", {"reason": "x"})
    post(finance, f"{URL}{invoice['id']}/approve/")
    body = {"invoices": [invoice["id"]], "paid_on": "2025-03-12", "reference": "RUN-1"}
    run = post(finance, "/api/v1/payment-runs/", body).json()
    assert run["total"] == rest["amount"]
    assert post(finance, "/api/v1/payment-runs/", {**body, "reference": "RUN-2"}).status_code == 409


# Races


def _at_once(*calls):
    barrier, outcomes = threading.Barrier(len(calls)), []

    def run(call):
        barrier.wait()
        try:
            call()
            outcomes.append("done")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_disputing_a_line_while_paying_never_pays_a_held_line(time_machine):
    from tests.factories import FinanceFactory, ProviderUserFactory
    from tests.invoicing.conftest import NOW

    time_machine.move_to(NOW, tick=False)
    finance = FinanceFactory(username="fin-race")
    provider_user = ProviderUserFactory(username="prov-race")
    packages = [
        PlacedPackageFactory(provider=provider_user.provider, start_date=MARCH_1) for _ in "ab"
    ]
    for package in packages:
        deliver(provider_user, package, range(1, 12))
    invoice = services.build_invoice(
        by=provider_user, reference="R-1", **{"period_start": march(1), "period_end": march(11)}
    )
    services.approve_invoice(invoice_id=invoice.pk, by=finance)
    line = invoice.lines.order_by("pk").first()
    outcomes = _at_once(
        lambda: services.pay_invoice(
            invoice_id=invoice.pk, by=finance, paid_on=march(12), payment_reference="BACS-1"
        ),
        lambda: services.dispute_line(
            invoice_id=invoice.pk, line_id=line.pk, by=finance, reason="3 March"
        ),
    )
    invoice.refresh_from_db()
    line.refresh_from_db()
    paid = sum(p.amount for p in invoice.payments.all())
    assert paid + invoice.held_total == invoice.total
    assert not (line.is_held and line.payment_id)
    if line.is_held:  # the dispute came first: the payment paid the rest
        assert outcomes == ["done", "done"] and invoice.status == InvoiceStatus.APPROVED
    else:  # the payment came first: the line was paid and cannot be held
        assert outcomes == ["conflict", "done"] and invoice.status == InvoiceStatus.PAID
