"""The invoicing pages: role matrix, what each shows, the forms, CSV and query counts."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing import services
from invoicing.models import Invoice, InvoiceStatus
from tests.factories import OpenPackageFactory, PlacedPackageFactory, ProviderFactory
from tests.invoicing.conftest import MARCH_1, TODAY
from tests.invoicing.factories import ApprovedInvoiceFactory, InvoiceFactory, PaidInvoiceFactory

pytestmark = pytest.mark.django_db


def deliver(user, package, days=11, start=MARCH_1):
    records = [
        {
            "package": package.pk,
            "date": (start + datetime.timedelta(days=d)).isoformat(),
            "actual_start": "08:00",
            "actual_end": "08:45",
            "carers": 1,
        }
        for d in range(days)
    ]
    services.import_visits(by=user, records=list(enumerate(records, start=2)))


@pytest.fixture
def invoice(provider_user, package):
    deliver(provider_user, package)
    return services.build_invoice(
        by=provider_user,
        period_start=MARCH_1,
        period_end=datetime.date(2025, 3, 11),
        reference="ALPHA-0001",
    )


ALL = {"admin", "broker", "commissioner", "finance", "provider", "other_provider"}
READERS = {"admin", "commissioner", "finance", "provider", "other_provider"}
FINANCE = {"admin", "finance"}
PAGES = [
    ("/invoices/", READERS),
    ("/invoices/new/", {"admin", "finance", "provider", "other_provider"}),
    ("/invoices/board/", FINANCE),
    ("/invoices/visits/", READERS),
    ("/invoices/visits/upload/", {"admin", "provider", "other_provider"}),
    (
        "/invoices/visits/planned/?period_start=2025-03-01&period_end=2025-03-11",
        {"admin", "provider", "other_provider"},
    ),
    ("/invoices/payment-runs/", FINANCE),
    ("/invoices/payment-runs/new/", FINANCE),
]


@pytest.mark.parametrize(("url", "allowed"), PAGES)
def test_page_role_matrix(page, users, now, url, allowed):
    anonymous = page().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    for role in ALL:
        expected = 200 if role in allowed else 403
        assert page(users[role]).get(url).status_code == expected, role


@pytest.mark.parametrize(
    "suffix", ["", "lines/{line}/", "dispute/", "pay/", "?format=csv", "lines/{line}/?format=csv"]
)
def test_invoice_pages_role_matrix(page, users, invoice, suffix):
    line = invoice.lines.get()
    url = f"/invoices/{invoice.pk}/" + suffix.format(line=line.pk)
    review = suffix.startswith(("dispute", "pay"))
    allowed = FINANCE if review else {"admin", "commissioner", "finance", "provider"}
    assert page().get(url).status_code == 302
    for role in ALL:
        if role in allowed:
            expected = 200
        elif review or role == "broker":
            expected = 403
        else:
            expected = 404  # another provider's invoice
        assert page(users[role]).get(url).status_code == expected, role


def test_package_delivery_page_role_matrix(page, users, invoice, package):
    url = f"/invoices/packages/{package.pk}/delivery/"
    assert page().get(url).status_code == 302
    for role, expected in {
        "admin": 200,
        "commissioner": 200,
        "finance": 200,
        "provider": 200,
        "other_provider": 404,
        "broker": 200,
    }.items():
        assert page(users[role]).get(url).status_code == expected, role


def test_only_finance_approves_through_the_page(page, users, invoice):
    url = f"/invoices/{invoice.pk}/approve/"
    assert page(users["provider"]).post(url).status_code == 403
    assert page(users["commissioner"]).post(url).status_code == 403
    assert page(users["finance"]).get(url).status_code == 405
    response = page(users["finance"]).post(url)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED


def test_provider_builds_an_invoice_on_the_page(page, provider_user, package):
    deliver(provider_user, package)
    client = page(provider_user)
    form = client.get("/invoices/new/").content.decode()
    assert "Build an invoice" in form
    assert 'name="provider"' not in form
    fields = {"reference": "A-9", "period_start": "2025-03-01", "period_end": "2025-03-11"}
    preview = client.post("/invoices/new/", fields).content.decode()
    assert "Check your invoice" in preview and "£205.92" in preview
    assert not Invoice.objects.exists()  # sent only on confirmation
    response = client.post("/invoices/new/", {**fields, "confirm": "yes"})
    invoice = Invoice.objects.get()
    assert response["Location"] == f"/invoices/{invoice.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "£205.92" in detail  # 11 x 45 minutes at 24.96
    assert "Due by 9 Apr 2025" in detail
    assert "28 days left" in detail


def test_the_build_form_shows_errors_at_the_fields(page, provider_user, package):
    response = page(provider_user).post(
        "/invoices/new/",
        {"reference": "", "period_start": "2025-03-05", "period_end": "2025-03-01"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert "Enter your invoice reference" in content
    response = page(provider_user).post(
        "/invoices/new/",
        {"reference": "A", "period_start": "2025-03-01", "period_end": "2025-03-11"},
    )
    assert "not already on an invoice" in response.content.decode()


def _by_post(client, *, period_end, received_on):
    """Finance records an invoice that came by post, for March from the 1st."""
    return client.post(
        "/invoices/new/",
        {
            "provider": "PROV-A",
            "reference": "POST-1",
            "period_start": "2025-03-01",
            "period_end": period_end,
            "received_on": received_on,
            "confirm": "yes",
        },
    )


def test_finance_records_an_invoice_received_by_post(page, users, package):
    deliver(users["provider"], package)
    response = _by_post(page(users["finance"]), period_end="2025-03-02", received_on="2025-03-03")
    assert response.status_code == 302
    assert Invoice.objects.get().due_by == datetime.date(2025, 3, 31)


def test_an_invoice_cannot_be_received_before_its_period_ends(page, users, package):
    deliver(users["provider"], package)
    response = _by_post(page(users["finance"]), period_end="2025-03-11", received_on="2025-03-03")
    assert "The date received cannot be before the period ends (11 Mar 2025)" in (
        response.content.decode()
    )
    assert not Invoice.objects.exists()


def test_finance_disputes_and_the_provider_sees_the_reason(page, users, invoice):
    finance = page(users["finance"])
    response = finance.post(f"/invoices/{invoice.pk}/dispute/", {"reason": ""})
    assert "Say why the invoice is disputed" in response.content.decode()
    finance.post(f"/invoices/{invoice.pk}/dispute/", {"reason": "Visits on 4 March missing"})
    seen = page(users["provider"]).get(f"/invoices/{invoice.pk}/").content.decode()
    assert "Disputed by finance: Visits on 4 March missing" in seen
    assert "Approve" not in seen


def test_finance_pays_once_and_a_second_payment_is_refused(page, users, invoice):
    finance = page(users["finance"])
    finance.post(f"/invoices/{invoice.pk}/approve/")
    response = finance.post(
        f"/invoices/{invoice.pk}/pay/", {"paid_on": "2025-03-12", "payment_reference": "B-1"}
    )
    assert response.status_code == 302
    again = finance.post(
        f"/invoices/{invoice.pk}/pay/",
        {"paid_on": "2025-03-12", "payment_reference": "B-2"},
        follow=True,
    )
    assert "it cannot be paid" in again.content.decode()
    invoice.refresh_from_db()
    assert invoice.payment_reference == "B-1"
    detail = finance.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "Paid on time" in detail
    assert "Record payment" not in detail


def test_the_line_page_lists_the_visits_behind_it(page, provider_user, package):
    deliver(provider_user, package, days=10)  # 11 March missed
    invoice = services.build_invoice(
        by=provider_user, period_start=MARCH_1, period_end=datetime.date(2025, 3, 11), reference="L"
    )
    line = invoice.lines.get()
    content = page(provider_user).get(f"/invoices/{invoice.pk}/lines/{line.pk}/").content.decode()
    assert "11 visits" in content
    assert "No record" in content
    assert "Missed" in content
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    page(provider_user)
                    .get(f"/invoices/{invoice.pk}/lines/{line.pk}/?format=csv")
                    .streaming_content
                ).decode()
            )
        )
    )
    assert rows[0][:4] == ["id", "package", "provider", "date"]
    assert len(rows) == 12


def download(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize(
    ("last_period_end", "expected_start"),
    [
        (None, datetime.date(2025, 2, 12)),  # no invoice yet: the last 28 days
        (datetime.date(2025, 2, 28), datetime.date(2025, 3, 1)),  # since the last invoice
        (datetime.date(2024, 11, 30), datetime.date(2025, 2, 12)),  # too long ago
        (datetime.date(2025, 3, 11), datetime.date(2025, 2, 12)),  # invoiced to yesterday
    ],
)
def test_a_provider_is_offered_the_days_since_its_last_invoice(
    page, provider_user, now, last_period_end, expected_start
):
    if last_period_end:
        InvoiceFactory(
            provider=provider_user.provider,
            period_start=last_period_end - datetime.timedelta(days=27),
            period_end=last_period_end,
        )
    client = page(provider_user)
    expected = {"period_start": expected_start, "period_end": datetime.date(2025, 3, 11)}
    for url, form in (
        ("/invoices/new/", "form"),
        ("/invoices/visits/upload/", "planned_form"),
    ):
        initial = client.get(url).context[form].initial
        assert {key: initial[key] for key in expected} == expected, url


def test_planned_visits_download_round_trips_through_the_upload(
    page, provider_user, package, other_package
):
    deliver(provider_user, package, days=5)  # 1 to 5 March recorded
    client = page(provider_user)
    url = "/invoices/visits/planned/?period_start=2025-03-01&period_end=2025-03-11"
    rows = download(client.get(url))
    # Only this provider's package, and only the six days with no record yet.
    assert rows[0] == ["package", "date", "actual_start", "actual_end", "carers", "purpose"]
    assert rows[1:] == [
        [str(package.pk), f"2025-03-{day:02d}", "08:00", "08:45", "1", "Personal care"]
        for day in range(6, 12)
    ]
    upload = SimpleUploadedFile(
        "planned.csv", b"".join(client.get(url).streaming_content), content_type="text/csv"
    )
    response = client.post("/invoices/visits/upload/", {"file": upload})
    assert response.status_code == 302
    assert download(client.get(url)) == [rows[0]]  # everything is recorded now


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("period_start=2025-03-11&period_end=2025-03-01", "period_end", "on or after"),
        ("period_start=2025-01-01&period_end=2025-03-11", "period_end", "at most 62 days"),
        ("period_start=2025-03-01&period_end=2025-03-13", "period_end", "in the future"),
        ("period_end=2025-03-11", "period_start", "Enter the first day"),
    ],
)
def test_planned_visits_refuses_a_bad_period_naming_the_field(
    page, provider_user, now, query, field, message
):
    response = page(provider_user).get(f"/invoices/visits/planned/?{query}")
    assert response.status_code == 400
    assert message in " ".join(response.context["planned_form"].errors[field])
    assert "There is a problem" in response.content.decode()


def test_invoice_list_filters_and_csv(page, users, now):
    mine = users["provider"].provider
    InvoiceFactory(provider=mine, reference="OK-1")
    InvoiceFactory(
        provider=mine, reference="LATE-1", received_on=TODAY - datetime.timedelta(days=40)
    )
    InvoiceFactory(provider=users["other_provider"].provider, reference="THEIRS")
    finance = page(users["finance"])
    content = finance.get("/invoices/", {"deadline_status": "overdue"}).content.decode()
    assert "LATE-1" in content and "OK-1" not in content
    rows = download(finance.get("/invoices/", {"provider": "PROV-A", "format": "csv"}))
    assert {row[2] for row in rows[1:]} == {"OK-1", "LATE-1"}
    assert rows[0][9] == "deadline_status"
    provider_view = page(users["provider"]).get("/invoices/").content.decode()
    assert "THEIRS" not in provider_view and "OK-1" in provider_view


def test_visits_page_shows_only_the_providers_own_and_downloads(
    page, users, package, other_package
):
    deliver(users["provider"], package, days=2)
    deliver(users["other_provider"], other_package, days=3)
    content = page(users["provider"]).get("/invoices/visits/").content.decode()
    assert "2 visits" in content
    assert "Upload visits" in content
    rows = download(page(users["provider"]).get("/invoices/visits/?format=csv"))
    assert len(rows) == 3
    finance_view = page(users["finance"]).get("/invoices/visits/").content.decode()
    assert "5 visits" in finance_view
    assert "Upload visits" not in finance_view


def test_every_visit_is_counted_from_the_rollup_and_a_filtered_list_by_its_rows(
    page, users, package, other_package
):
    deliver(users["provider"], package, days=2)
    deliver(users["other_provider"], other_package, days=3)
    finance = page(users["finance"])
    with CaptureQueriesContext(connection) as queries:
        assert "5 visits" in finance.get("/invoices/visits/").content.decode()
    counted = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT")]
    assert counted == []  # the number of them all is the delivery rollup's
    code = other_package.provider.code
    assert "3 visits" in finance.get("/invoices/visits/", {"provider": code}).content.decode()
    assert "2 visits" in finance.get("/invoices/visits/", {"package": package.pk}).content.decode()
    refused = finance.get("/invoices/visits/", {"package": "not a number"})
    shown = len(refused.context["page"].object_list)
    assert f"{shown} visit" in refused.content.decode()  # the rows listed, counted


def test_the_api_counts_every_visit_from_the_rollup_too(api, users, package, other_package):
    deliver(users["provider"], package, days=2)
    deliver(users["other_provider"], other_package, days=3)
    finance = api(users["finance"])
    with CaptureQueriesContext(connection) as queries:
        assert finance.get("/api/v1/visits/").json()["count"] == 5
    assert not [q for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT")]
    assert finance.get("/api/v1/visits/", {"package": package.pk}).json()["count"] == 2
    assert api(users["provider"]).get("/api/v1/visits/").json()["count"] == 2


def test_board_lists_unpaid_overdue_first_with_totals_and_on_time_rates(page, users, now):
    provider = users["provider"].provider
    InvoiceFactory(provider=provider, reference="OK-1", total=Decimal("10.00"))
    InvoiceFactory(
        provider=provider, reference="SOON-1", received_on=TODAY - datetime.timedelta(days=25)
    )
    InvoiceFactory(
        provider=provider,
        reference="OVERDUE-1",
        received_on=TODAY - datetime.timedelta(days=35),
        total=Decimal("250.50"),
    )
    PaidInvoiceFactory(
        provider=provider, reference="PAID-1", received_on=TODAY - datetime.timedelta(days=60)
    )
    content = page(users["finance"]).get("/invoices/board/").content.decode()
    assert content.index("OVERDUE-1") < content.index("SOON-1") < content.index("OK-1")
    assert "PAID-1" not in content
    assert "3 unpaid, £360.50 in total" in content
    assert "50.0%" in content  # one paid on time, one overdue now
    rows = download(page(users["finance"]).get("/invoices/board/?format=csv"))
    assert [row[2] for row in rows[1:]] == ["OVERDUE-1", "SOON-1", "OK-1"]


def test_board_pages_the_on_time_rates_of_every_provider_by_name(page, users, now):
    for number in range(55):
        ProviderFactory(name=f"A {number:02d}")  # before the users' own
    finance = page(users["finance"])
    first = finance.get("/invoices/board/").content.decode()
    assert "A 00" in first and "A 49" in first and "A 50" not in first
    assert "?rates-page=2" in first
    second = finance.get("/invoices/board/?rates-page=2").content.decode()
    assert "A 50" in second and "A 49" not in second
    assert "?rates-page=2&amp;page=1" not in second  # the invoices' pages keep their own


def test_board_and_lists_show_pounds_with_thousands_separators(page, users, now):
    invoice = InvoiceFactory(provider=users["provider"].provider, total=Decimal("12345.60"))
    finance = page(users["finance"])
    board = finance.get("/invoices/board/").content.decode()
    assert "1 unpaid, £12,345.60 in total" in board
    assert "£12345.60" not in board
    assert "£12,345.60" in finance.get("/invoices/").content.decode()
    assert "£12,345.60" in finance.get(f"/invoices/{invoice.pk}/").content.decode()
    # The CSV keeps a plain decimal for the finance system.
    rows = download(finance.get("/invoices/board/?format=csv"))
    assert rows[1][10] == "12345.60"


def test_payment_run_pays_the_chosen_invoices_and_exports_them(page, users, now):
    first = ApprovedInvoiceFactory(provider=users["provider"].provider, total=Decimal("100.10"))
    second = ApprovedInvoiceFactory(provider=users["other_provider"].provider)
    left = ApprovedInvoiceFactory(provider=users["other_provider"].provider)
    finance = page(users["finance"])
    form = finance.get("/invoices/payment-runs/new/").content.decode()
    assert first.reference in form and left.reference in form
    response = finance.post(
        "/invoices/payment-runs/new/",
        {"invoices": [first.pk, second.pk], "paid_on": "2025-03-12", "reference": "RUN-7"},
    )
    assert response.status_code == 302
    rows = download(finance.get(response["Location"] + "?format=csv"))
    assert rows[0][:4] == ["payment_run", "paid_on", "provider_code", "provider_name"]
    assert {(row[0], row[5], row[10]) for row in rows[1:]} == {
        ("RUN-7", first.reference, "100.10"),
        ("RUN-7", second.reference, "100.00"),
    }
    left.refresh_from_db()
    assert left.status == InvoiceStatus.APPROVED


def test_payment_run_form_errors(page, users, now):
    paid = PaidInvoiceFactory(provider=users["provider"].provider)
    finance = page(users["finance"])
    response = finance.post("/invoices/payment-runs/new/", {"paid_on": "", "reference": ""})
    content = response.content.decode()
    assert "Choose at least one approved invoice to pay" in content
    assert "Enter the payment run reference" in content
    response = finance.post(
        "/invoices/payment-runs/new/",
        {"invoices": [paid.pk], "paid_on": "2025-03-12", "reference": "R"},
    )
    assert "Nothing was paid" in response.content.decode()


def test_package_delivery_page_shows_planned_against_delivered(page, provider_user, package):
    deliver(provider_user, package, days=5)  # 1 to 5 March; 6 to 11 March missing
    content = page(provider_user).get(f"/invoices/packages/{package.pk}/delivery/").content.decode()
    assert "Planned against delivered" in content
    assert "24 Feb 2025" in content and "10 Mar 2025" in content
    assert f'href="/packages/{package.pk}/"' in content  # back to the package page


def test_the_package_page_shows_the_last_weeks_planned_against_delivered(
    page, users, provider_user, package
):
    deliver(provider_user, package, days=5)  # 1 to 5 March; 6 to 11 March missing
    for role in ("provider", "broker", "finance", "commissioner"):
        content = page(users[role]).get(f"/packages/{package.pk}/").content.decode()
        panel = content[content.index('id="delivery-heading"') :]
        panel = panel[: panel.index("</section>")]
        # Today is 12 March; care started on 1 March: three weeks so far, newest first.
        weeks = [panel.index(w) for w in ("10 Mar 2025", "3 Mar 2025", "24 Feb 2025")]
        assert weeks == sorted(weeks), role
        assert "4 missed" in panel and "2 missed" in panel  # 6 to 9 March; 10 and 11 March
        assert f'href="/invoices/packages/{package.pk}/delivery/"' in panel


def test_the_delivery_panel_waits_for_care_to_be_placed(page, users):
    waiting = OpenPackageFactory()
    content = page(users["broker"]).get(f"/packages/{waiting.pk}/").content.decode()
    assert 'id="delivery-heading"' not in content


def test_the_deadline_filter_offers_any(page, users, now):
    content = page(users["finance"]).get("/invoices/").content.decode()
    deadline_select = content[content.index('name="deadline_status"') :]
    deadline_select = deadline_select[: deadline_select.index("</select>")]
    assert '<option value="" selected>Any</option>' in deadline_select


@pytest.mark.parametrize(
    ("url", "role"),
    [
        ("/invoices/", "finance"),
        ("/invoices/board/", "finance"),
        ("/invoices/visits/", "provider"),
        ("/invoices/payment-runs/new/", "finance"),
    ],
)
def test_list_page_queries_do_not_grow_with_rows(
    page, users, now, url, role, django_assert_max_num_queries
):
    client = page(users[role])
    provider = users["provider"].provider
    package = PlacedPackageFactory(provider=provider, start_date=MARCH_1)

    def add_rows(n, offset):
        for _ in range(n):
            ApprovedInvoiceFactory(provider=ProviderFactory())
        deliver(users["provider"], package, days=n, start=MARCH_1 + datetime.timedelta(days=offset))

    add_rows(2, 0)
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    add_rows(8, 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_invoice_page_queries_do_not_grow_with_lines(
    page, users, now, provider_org, django_assert_max_num_queries
):
    for _ in range(8):
        deliver(users["provider"], PlacedPackageFactory(provider=provider_org, start_date=MARCH_1))
    invoice = services.build_invoice(
        by=users["provider"], period_start=MARCH_1, period_end=TODAY, reference="BIG"
    )
    client = page(users["finance"])
    with django_assert_max_num_queries(12):
        response = client.get(f"/invoices/{invoice.pk}/")
    assert response.content.decode().count("Package ") >= 8
