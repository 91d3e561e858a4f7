"""/api/v1/invoices/: built from delivered visits, reviewed and paid, exactly per the contract."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from core.errors import Conflict
from invoicing import services
from invoicing.models import DeliveredVisit, Invoice, InvoiceStatus, PaymentRun
from packages import services as packages_services
from tests.factories import FlexiblePlanFactory, PlacedPackageFactory, ProviderFactory
from tests.invoicing.conftest import MARCH_1, TODAY
from tests.invoicing.factories import ApprovedInvoiceFactory, InvoiceFactory, record

URL = "/api/v1/invoices/"
PERIOD = {"period_start": "2025-03-01", "period_end": "2025-03-11"}
pytestmark = pytest.mark.django_db


def march(day):
    return datetime.date(2025, 3, day)


def deliver_march(user, package, skip=(), short=()):
    """Visits from 1 to 11 March at 08:00, one file: 45 minutes, or 30 on `short` days."""
    records = [
        {
            "package": package.pk,
            "date": march(day).isoformat(),
            "actual_start": "08:00",
            "actual_end": "08:30" if day in short else "08:45",
            "carers": 1,
        }
        for day in range(1, 12)
        if day not in skip
    ]
    services.import_visits(by=user, records=list(enumerate(records, start=2)))


def test_provider_builds_an_invoice_from_its_delivered_visits(api, provider_user, package):
    deliver_march(provider_user, package, skip={5}, short={2})
    response = api(provider_user).post(URL, {**PERIOD, "reference": "A-001"}, format="json")
    assert response.status_code == 201, response.json()
    invoice = response.json()
    assert invoice["provider"] == "PROV-A"
    assert invoice["reference"] == "A-001"
    assert (invoice["period_start"], invoice["period_end"]) == ("2025-03-01", "2025-03-11")
    assert invoice["received_on"] == "2025-03-12"
    assert invoice["due_by"] == "2025-04-09"
    assert invoice["status"] == "received"
    assert invoice["deadline_status"] == "ok"
    assert invoice["days_left"] == 28
    # 9 x 45 minutes + 30 = 435 minutes = 7.25 hours at 24.96 = 180.96.
    assert invoice["total"] == "180.96"
    (line,) = invoice["lines"]
    assert line == {
        "id": line["id"],
        "kind": "care",
        "package": package.pk,
        "contract": None,
        "zone": package.zone.code,
        "commissioned_hours": "8.25",
        "delivered_hours": "7.25",
        "payable_hours": "7.25",
        "rate": "24.96",
        "amount": "180.96",
        "visits": 10,
        "missed_visits": 1,
        "short_visits": 1,
        "late_visits": 0,
        "held": False,
        "hold_reason": "",
        "paid": False,
    }
    assert not DeliveredVisit.objects.filter(invoice_line__isnull=True).exists()
    missed = DeliveredVisit.objects.get(missed=True)
    assert (missed.date, missed.actual_start, missed.paid_minutes) == (march(5), None, 0)


def test_an_invoice_with_no_new_visit_is_400(api, provider_user, package):
    deliver_march(provider_user, package)
    client = api(provider_user)
    assert client.post(URL, {**PERIOD, "reference": "A-001"}, format="json").status_code == 201
    again = client.post(URL, {**PERIOD, "reference": "A-002"}, format="json")
    assert again.status_code == 400
    assert "not already on an invoice" in again.json()["non_field_errors"][0]
    assert Invoice.objects.count() == 1


def test_a_later_visit_goes_on_the_next_invoice_only(api, provider_user, package):
    deliver_march(provider_user, package, skip={11})
    client = api(provider_user)
    first = client.post(URL, {**PERIOD, "reference": "A-001"}, format="json").json()
    assert first["lines"][0]["missed_visits"] == 1
    record(provider_user, package, march(12), "08:00", "08:45")
    second = client.post(
        URL,
        {"period_start": "2025-03-01", "period_end": "2025-03-12", "reference": "A-002"},
        format="json",
    ).json()
    assert second["lines"][0]["visits"] == 1
    assert second["lines"][0]["missed_visits"] == 0
    assert second["total"] == "18.72"


def test_a_visit_is_never_on_two_invoices_even_when_built_at_once(
    transactional_db, time_machine, provider_org
):
    from tests.invoicing.conftest import NOW

    time_machine.move_to(NOW, tick=False)
    from tests.factories import ProviderUserFactory

    user = ProviderUserFactory(provider=provider_org)
    package = PlacedPackageFactory(provider=provider_org, start_date=MARCH_1)
    deliver_march(user, package)
    barrier = threading.Barrier(2)
    outcomes = []

    def build(reference):
        barrier.wait()
        try:
            services.build_invoice(
                by=user, period_start=MARCH_1, period_end=march(11), reference=reference
            )
            outcomes.append("built")
        except ValidationError as error:
            outcomes.append(error.message_dict)
        finally:
            connection.close()

    threads = [threading.Thread(target=build, args=(ref,)) for ref in ("X-1", "X-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)).count("built") == 1
    assert Invoice.objects.count() == 1
    assert DeliveredVisit.objects.filter(invoice_line__invoice__isnull=False).count() == 11


def test_an_invoiced_visit_cannot_be_attached_again(api, provider_user, package):
    deliver_march(provider_user, package)
    api(provider_user).post(URL, {**PERIOD, "reference": "A-001"}, format="json")
    visit = DeliveredVisit.objects.first()
    guarded = DeliveredVisit.objects.filter(pk=visit.pk, invoice_line__isnull=True)
    assert guarded.update(invoice_line=None) == 0


def test_weekend_and_bank_holiday_rates_on_an_invoice(time_machine, api, users):
    time_machine.move_to(datetime.datetime(2025, 5, 7, 9, tzinfo=datetime.UTC), tick=False)
    provider = users["provider"].provider
    provider.weekend_uplift_percent = Decimal("10")
    provider.bank_holiday_uplift_percent = Decimal("50")
    provider.save()
    package = PlacedPackageFactory(provider=provider, start_date=datetime.date(2025, 5, 2))
    for day in (2, 3, 4, 5):  # Friday, Saturday, Sunday, Early May bank holiday Monday
        record(users["provider"], package, datetime.date(2025, 5, day), "08:00", "08:45")
    response = api(users["provider"]).post(
        URL,
        {"period_start": "2025-05-02", "period_end": "2025-05-05", "reference": "MAY"},
        format="json",
    )
    # 0.75 h at 24.96 + 2 x 0.75 h at 27.456 + 0.75 h at 37.44 = 87.984
    assert response.json()["total"] == "87.98"
    assert response.json()["lines"][0]["rate"] == "24.96"


def test_flexible_plan_caps_payable_hours_over_four_weeks(
    time_machine, api, provider_user, package
):
    # Plan: 2, 1, 2, 1 hours a week + 1 contingency = 7 hours per 4 weeks (420 minutes).
    FlexiblePlanFactory(
        package=package,
        week1_hours=Decimal("2"),
        week2_hours=Decimal("1"),
        week3_hours=Decimal("2"),
        week4_hours=Decimal("1"),
        contingency_hours=Decimal("1"),
    )
    deliver_march(provider_user, package)  # 11 x 45 = 495 minutes delivered
    client = api(provider_user)
    first = client.post(URL, {**PERIOD, "reference": "F-1"}, format="json").json()
    line = first["lines"][0]
    assert (line["delivered_hours"], line["payable_hours"], line["amount"]) == (
        "8.25",
        "7.00",
        "174.72",
    )
    # 2 hours in week 1 and 4/7 of an hour in week 2's first four days.
    assert line["commissioned_hours"] == "2.57"

    record(provider_user, package, march(12), "08:00", "08:45")
    second = client.post(
        URL,
        {"period_start": "2025-03-12", "period_end": "2025-03-12", "reference": "F-2"},
        format="json",
    ).json()
    assert second["lines"][0]["payable_hours"] == "0.00"
    assert second["total"] == "0.00"

    # A new 4-week cycle starts on 29 March.
    time_machine.move_to(datetime.datetime(2025, 3, 30, 9, tzinfo=datetime.UTC), tick=False)
    record(provider_user, package, march(29), "08:00", "08:45")
    third = client.post(
        URL,
        {"period_start": "2025-03-29", "period_end": "2025-03-29", "reference": "F-3"},
        format="json",
    ).json()
    assert third["lines"][0]["payable_hours"] == "0.75"


def test_finance_records_an_invoice_that_came_by_post(api, users, package):
    deliver_march(users["provider"], package)
    response = api(users["finance"]).post(
        URL,
        {
            "period_start": "2025-03-01",
            "period_end": "2025-03-04",
            "reference": "P-1",
            "provider": "PROV-A",
            "received_on": "2025-03-05",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["received_on"], response.json()["due_by"]) == (
        "2025-03-05",
        "2025-04-02",
    )
    assert response.json()["days_left"] == 21


def test_a_provider_cannot_invoice_for_another_or_backdate(api, users, package):
    deliver_march(users["provider"], package)
    response = api(users["provider"]).post(
        URL,
        {**PERIOD, "reference": "A-1", "provider": "PROV-B", "received_on": "2025-01-01"},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["provider"], response.json()["received_on"]) == (
        "PROV-A",
        "2025-03-12",
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"provider": None}, "provider"),
        ({"provider": "NOBODY"}, "provider"),
        ({"received_on": "2025-03-13"}, "received_on"),
        ({"received_on": "2025-03-10"}, "received_on"),  # Before the period's end (11th).
        ({"received_on": "0146-10-06"}, "received_on"),
        ({"period_end": "2025-03-13"}, "period_end"),
        ({"period_end": "2025-02-27"}, "period_end"),
        ({"period_start": "1 March"}, "period_start"),
        ({"reference": ""}, "reference"),
    ],
)
def test_bad_invoice_input_is_400_naming_the_field(api, users, package, change, field):
    deliver_march(users["provider"], package)
    payload = {**PERIOD, "reference": "P-1", "provider": "PROV-A", **change}
    payload = {key: value for key, value in payload.items() if value is not None}
    response = api(users["finance"]).post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_a_reference_is_used_once_per_provider(api, provider_user, package):
    deliver_march(provider_user, package)
    InvoiceFactory(provider=package.provider, reference="A-001")
    response = api(provider_user).post(URL, {**PERIOD, "reference": "A-001"}, format="json")
    assert response.status_code == 400
    assert "already recorded" in response.json()["reference"][0]


def action(client, invoice, name, payload=None):
    return client.post(f"{URL}{invoice.pk}/{name}/", payload or {}, format="json")


PAYMENT = {"paid_on": "2025-03-12", "payment_reference": "BACS-1"}


def test_finance_approves_disputes_and_pays(api, users, now):
    invoice = InvoiceFactory(provider=users["provider"].provider)
    finance = api(users["finance"])
    disputed = action(finance, invoice, "dispute", {"reason": "Package 7 visits on 3 March"})
    assert disputed.status_code == 200
    assert disputed.json()["status"] == "disputed"
    seen = api(users["provider"]).get(f"{URL}{invoice.pk}/").json()
    assert seen["dispute_reason"] == "Package 7 visits on 3 March"
    assert action(finance, invoice, "approve").json()["status"] == "approved"
    paid = action(finance, invoice, "pay", PAYMENT)
    assert paid.status_code == 200
    assert (paid.json()["status"], paid.json()["paid_on"], paid.json()["payment_reference"]) == (
        "paid",
        "2025-03-12",
        "BACS-1",
    )
    assert paid.json()["deadline_status"] == "met"
    assert paid.json()["days_left"] is None


def test_each_review_is_audited_with_who_did_it(api, users, now):
    from auditlog.models import LogEntry

    invoice = InvoiceFactory(provider=users["provider"].provider)
    action(api(users["finance"]), invoice, "approve")
    entry = LogEntry.objects.get_for_object(invoice).order_by("-pk").first()
    assert entry.actor == users["finance"]
    assert entry.changes_dict["status"] == ["received", "approved"]


def test_paying_twice_is_409_and_a_paid_invoice_never_changes(api, users, now):
    invoice = ApprovedInvoiceFactory(provider=users["provider"].provider)
    finance = api(users["finance"])
    assert action(finance, invoice, "pay", PAYMENT).status_code == 200
    again = action(finance, invoice, "pay", {**PAYMENT, "payment_reference": "BACS-2"})
    assert again.status_code == 409
    assert action(finance, invoice, "approve").status_code == 409
    assert action(finance, invoice, "dispute", {"reason": "too late"}).status_code == 409
    invoice.refresh_from_db()
    assert (invoice.status, invoice.payment_reference, invoice.dispute_reason) == (
        InvoiceStatus.PAID,
        "BACS-1",
        "",
    )


def test_approving_twice_is_409(api, users, now):
    invoice = ApprovedInvoiceFactory(provider=users["provider"].provider)
    assert action(api(users["finance"]), invoice, "approve").status_code == 409


@pytest.mark.parametrize(
    ("name", "payload", "field"),
    [
        ("dispute", {}, "reason"),
        ("dispute", {"reason": "  "}, "reason"),
        ("pay", {"payment_reference": "X"}, "paid_on"),
        ("pay", {"paid_on": "2025-03-13", "payment_reference": "X"}, "paid_on"),
        ("pay", {"paid_on": "2025-02-01", "payment_reference": "X"}, "paid_on"),
        ("pay", {"paid_on": "soon", "payment_reference": "X"}, "paid_on"),
        ("pay", {"paid_on": "2025-03-12"}, "payment_reference"),
    ],
)
def test_bad_action_input_is_400(api, users, now, name, payload, field):
    factory = ApprovedInvoiceFactory if name == "pay" else InvoiceFactory
    invoice = factory(provider=users["provider"].provider, received_on=march(10))
    response = action(api(users["finance"]), invoice, name, payload)
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("name", ["approve", "dispute", "pay"])
@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("finance", 200), ("commissioner", 403), ("broker", 403), ("provider", 403)],
)
def test_only_finance_and_admin_review_invoices(api, users, now, name, role, status):
    factory = ApprovedInvoiceFactory if name == "pay" else InvoiceFactory
    invoice = factory(provider=users["provider"].provider)
    payload = {"reason": "why", **PAYMENT}
    assert action(api(users[role]), invoice, name, payload).status_code == status


def test_review_of_an_unknown_invoice_is_404(api, users, now):
    assert api(users["finance"]).post(f"{URL}999999/approve/").status_code == 404


@pytest.mark.parametrize(
    ("role", "status", "count"),
    [
        ("admin", 200, 2),
        ("finance", 200, 2),
        ("commissioner", 200, 2),
        ("provider", 200, 1),
        ("other_provider", 200, 1),
        ("broker", 403, None),
    ],
)
def test_who_sees_which_invoices(api, users, now, role, status, count):
    InvoiceFactory(provider=users["provider"].provider)
    InvoiceFactory(provider=users["other_provider"].provider)
    response = api(users[role]).get(URL)
    assert response.status_code == status
    if count is not None:
        assert response.json()["count"] == count


def test_another_providers_invoice_is_404(api, users, now):
    theirs = InvoiceFactory(provider=users["other_provider"].provider)
    assert api(users["provider"]).get(f"{URL}{theirs.pk}/").status_code == 404
    assert api(users["provider"]).get(f"{URL}{theirs.pk}/visits/").status_code == 404


def test_anonymous_is_401(api, now):
    assert api().get(URL).status_code == 401
    assert api().post(URL, {**PERIOD, "reference": "X"}, format="json").status_code == 401


def test_commissioner_may_not_build_invoices(api, users, now):
    response = api(users["commissioner"]).post(URL, {**PERIOD, "reference": "X"}, format="json")
    assert response.status_code == 403


def test_filters_status_provider_and_deadline_status(api, users, now):
    mine, theirs = users["provider"].provider, users["other_provider"].provider
    InvoiceFactory(provider=mine, received_on=TODAY)  # ok
    InvoiceFactory(provider=mine, received_on=TODAY - datetime.timedelta(days=22))  # due_soon
    InvoiceFactory(provider=theirs, received_on=TODAY - datetime.timedelta(days=30))  # overdue
    ApprovedInvoiceFactory(provider=theirs, received_on=TODAY)
    client = api(users["finance"])

    def count(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.json()
        return response.json()["count"]

    assert count(status="approved") == 1
    assert count(provider="PROV-A") == 2
    assert count(deadline_status="ok") == 2
    assert count(deadline_status="due_soon") == 1
    assert count(deadline_status="overdue") == 1
    assert count(deadline_status="overdue", provider="PROV-A") == 0
    assert client.get(URL, {"deadline_status": "soonish"}).status_code == 400


def test_invoice_visits_are_one_click_away(api, provider_user, package):
    deliver_march(provider_user, package, skip={4})
    invoice = api(provider_user).post(URL, {**PERIOD, "reference": "A-1"}, format="json").json()
    response = api(provider_user).get(f"{URL}{invoice['id']}/visits/")
    assert response.status_code == 200
    assert response.json()["count"] == 11
    assert sum(v["missed"] for v in response.json()["results"]) == 1


def test_invoice_list_queries_do_not_grow(api, users, now, django_assert_max_num_queries):
    provider = users["provider"].provider
    client = api(users["finance"])
    for _ in range(3):
        InvoiceFactory(provider=provider)
    with django_assert_max_num_queries(6) as few:
        client.get(URL)
    for _ in range(20):
        InvoiceFactory(provider=ProviderFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).json()["count"] == 23


def test_build_queries_do_not_grow_with_packages(
    now, provider_user, provider_org, django_assert_max_num_queries
):
    packages = [PlacedPackageFactory(provider=provider_org, start_date=MARCH_1) for _ in range(6)]
    for package in packages:
        deliver_march(provider_user, package, skip={3})
    # 16, one for the rates, one for guarantees, the attach's table made, copied, dropped,
    # and the rollup's days and periods (the missed visits' number: here nothing else moves)
    with django_assert_max_num_queries(23):
        invoice = services.build_invoice(
            by=provider_user, period_start=MARCH_1, period_end=march(11), reference="Q"
        )
    assert invoice.lines.count() == 6


def test_payment_run_pays_approved_invoices_together(api, users, now):
    first = ApprovedInvoiceFactory(provider=users["provider"].provider, total=Decimal("10.50"))
    second = ApprovedInvoiceFactory(
        provider=users["other_provider"].provider, total=Decimal("2.25")
    )
    response = api(users["finance"]).post(
        "/api/v1/payment-runs/",
        {"invoices": [first.pk, second.pk], "paid_on": "2025-03-12", "reference": "RUN-1"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "12.75"
    assert sorted(response.json()["invoices"]) == sorted([first.pk, second.pk])
    assert set(Invoice.objects.values_list("status", "payment_reference")) == {("paid", "RUN-1")}


def test_a_payment_run_with_an_unapproved_invoice_pays_nothing(api, users, now):
    approved = ApprovedInvoiceFactory(provider=users["provider"].provider)
    received = InvoiceFactory(provider=users["provider"].provider)
    response = api(users["finance"]).post(
        "/api/v1/payment-runs/",
        {"invoices": [approved.pk, received.pk], "paid_on": "2025-03-12", "reference": "RUN-1"},
        format="json",
    )
    assert response.status_code == 409
    assert received.reference in response.json()["detail"]
    assert not Invoice.objects.filter(status=InvoiceStatus.PAID).exists()


def test_a_payment_run_with_an_impossible_id_is_400(api, users, now):
    response = api(users["finance"]).post(
        "/api/v1/payment-runs/",
        {"invoices": [10**30], "paid_on": "2025-03-12", "reference": "RUN-1"},
        format="json",
    )
    assert response.status_code == 400
    assert "invoices" in response.json()


@pytest.mark.parametrize(("role", "status"), [("provider", 403), ("commissioner", 403)])
def test_only_finance_runs_payments(api, users, now, role, status):
    assert api(users[role]).get("/api/v1/payment-runs/").status_code == status


def _wait_until_a_query_waits_for_a_lock(seconds=10):
    """Block until another connection to this database is waiting on a row or index lock."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("No query came to wait for the lock.")


def test_two_payment_runs_under_one_reference_at_once_are_a_400_not_a_500(
    transactional_db, time_machine
):
    from tests.factories import FinanceFactory
    from tests.invoicing.conftest import NOW

    time_machine.move_to(NOW, tick=False)
    finance = FinanceFactory(username="fin-run")
    invoice = ApprovedInvoiceFactory()
    inserted, release, outcome = threading.Event(), threading.Event(), {}

    def other_run_not_yet_committed():
        try:
            with transaction.atomic():
                PaymentRun.objects.create(
                    reference="RUN-1", paid_on=TODAY, total=Decimal("0.00"), created_at=NOW
                )
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    def this_run():
        try:
            services.run_payments(
                by=finance, invoice_ids=[invoice.pk], paid_on=TODAY, reference="RUN-1"
            )
            outcome["run"] = "paid"
        except ValidationError as error:
            outcome["run"] = error.message_dict
        except Exception as error:  # the test is that nothing but a ValidationError escapes
            outcome["run"] = repr(error)
        finally:
            connection.close()

    other = threading.Thread(target=other_run_not_yet_committed)
    other.start()
    assert inserted.wait(10)
    this = threading.Thread(target=this_run)
    this.start()
    # This run cannot see the other's uncommitted row: it waits on the reference's index.
    _wait_until_a_query_waits_for_a_lock()
    release.set()
    other.join()
    this.join()
    assert outcome["run"] == {"reference": ["Payment run RUN-1 already exists."]}
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED


def test_a_payment_run_reference_is_used_once(api, users, now):
    first, second = ApprovedInvoiceFactory(), ApprovedInvoiceFactory()
    client = api(users["finance"])
    body = {"paid_on": "2025-03-12", "reference": "RUN-1"}
    assert client.post("/api/v1/payment-runs/", {**body, "invoices": [first.pk]}).status_code == 201
    response = client.post(
        "/api/v1/payment-runs/", {**body, "invoices": [second.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "reference" in response.json()
    second.refresh_from_db()
    assert second.status == InvoiceStatus.APPROVED


def test_two_payments_of_one_invoice_at_once_pay_it_once(transactional_db, time_machine):
    from tests.factories import FinanceFactory
    from tests.invoicing.conftest import NOW

    time_machine.move_to(NOW, tick=False)
    finance = FinanceFactory(username="fin-pay")
    invoice = ApprovedInvoiceFactory()
    barrier, outcomes = threading.Barrier(2), []

    def pay(reference):
        barrier.wait()
        try:
            services.pay_invoice(
                invoice_id=invoice.pk, by=finance, paid_on=TODAY, payment_reference=reference
            )
            outcomes.append("paid")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(ref,)) for ref in ("BACS-1", "BACS-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "paid"]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_each_date_is_priced_by_the_schedule_in_force_that_day(api, broker, provider_user, package):
    # From Thursday 6 March the morning call is 30 minutes instead of 45.
    packages_services.change_package(
        by=broker,
        package_id=package.pk,
        effective_from=march(6),
        visits=[
            {
                "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                "time": datetime.time(8, 0),
                "duration_minutes": 30,
                "purpose": "personal_care",
            }
        ],
        reason="Review",
    )
    deliver_march(provider_user, package, skip={3, 8})  # 45 minutes delivered each day
    response = api(provider_user).post(URL, {**PERIOD, "reference": "V-1"}, format="json")
    assert response.status_code == 201, response.json()
    (line,) = response.json()["lines"]
    # 5 days planned at 45 minutes, then 6 at 30.
    assert line["commissioned_hours"] == "6.75"
    # 4 x 45 before the change, 5 x 30 (capped at the new plan) from it: 330 minutes.
    assert line["payable_hours"] == "5.50"
    assert line["amount"] == "137.28"
    missed = DeliveredVisit.objects.filter(missed=True).order_by("date")
    assert [(v.date.day, v.planned_minutes) for v in missed] == [(3, 45), (8, 30)]
