"""CSV import of ECM exports: POST /api/v1/visits/import/ and the upload page — all or nothing."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from invoicing import ecm, services
from invoicing.models import DailyDelivery, DeliveredVisit
from invoicing.services import visits
from tests.factories import PlacedPackageFactory
from tests.invoicing.conftest import MARCH_1

URL = "/api/v1/visits/import/"
HEADER = "package,date,actual_start,actual_end,carers"
pytestmark = pytest.mark.django_db


def csv_file(lines, name="visits.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, "\n".join(lines).encode(encoding), content_type="text/csv")


def month_of_visits(package, days=11):
    return [
        f"{package.pk},{(MARCH_1 + datetime.timedelta(days=d)).isoformat()},08:0{d % 10},08:4{d % 10},1"
        for d in range(days)
    ]


def test_a_good_file_imports_every_visit(api, provider_user, package):
    response = api(provider_user).post(
        URL, {"file": csv_file([HEADER, *month_of_visits(package)])}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    assert response.json() == {"imported": 11, "missed": 0, "short": 0, "late": 0, "unplanned": 0}
    assert DeliveredVisit.objects.filter(package=package).count() == 11


def test_columns_in_any_order_with_a_byte_order_mark_and_extra_columns(api, provider_user, package):
    lines = [
        "carer_names,carers,actual_end,actual_start,date,package",
        f"A B,1,08:45,08:00,2025-03-03,{package.pk}",
    ]
    response = api(provider_user).post(
        URL, {"file": csv_file(lines, encoding="utf-8-sig")}, format="multipart"
    )
    assert response.status_code == 201, response.json()


def test_any_bad_row_imports_nothing_and_every_bad_row_is_named(
    api, provider_user, package, other_package
):
    lines = [
        HEADER,
        f"{package.pk},2025-03-01,08:00,08:45,1",  # row 2: fine
        f"{package.pk},01/03/2025,08:00,08:45,1",  # row 3: date format
        f"{package.pk},2025-03-02,08:00,08:45,3",  # row 4: carers
        f"{other_package.pk},2025-03-02,08:00,08:45,1",  # row 5: not theirs
        f"{package.pk},2025-03-01,08:00,08:50,1",  # row 6: same start as row 2
        f"{package.pk},2025-03-20,08:00,08:45,1",  # row 7: in the future
        f"{package.pk},2025-02-20,08:00,08:45,1",  # row 8: before the start
        f"{package.pk},2025-03-03,08:00,08:45,1",  # row 9: fine
    ]
    response = api(provider_user).post(URL, {"file": csv_file(lines)}, format="multipart")
    assert response.status_code == 400
    rows = {row["row"]: row["errors"] for row in response.json()["rows"]}
    assert set(rows) == {3, 4, 5, 6, 7, 8}
    assert set(rows[3]) == {"date"}
    assert set(rows[4]) == {"carers"}
    assert set(rows[5]) == {"package"}
    assert set(rows[6]) == {"actual_start"}
    assert set(rows[7]) == {"date"}
    assert set(rows[8]) == {"date"}
    assert response.json()["file"][0].startswith("Row 3: date:")
    assert not DeliveredVisit.objects.exists()


def test_a_second_upload_of_the_same_file_is_refused_whole(api, provider_user, package):
    client = api(provider_user)
    lines = [HEADER, *month_of_visits(package, days=3)]
    assert client.post(URL, {"file": csv_file(lines)}, format="multipart").status_code == 201
    again = client.post(URL, {"file": csv_file(lines)}, format="multipart")
    assert again.status_code == 400
    assert [row["row"] for row in again.json()["rows"]] == [2, 3, 4]
    assert DeliveredVisit.objects.count() == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"package,date,start,end,carers\n1,2025-03-01,08:00,08:45,1", "Row 1: the header"),
        (HEADER.encode(), "no visits"),
        (
            "package,date,actual_start,actual_end,carers\n1,2025-03-01,08:00,08:45,1\xe9".encode(
                "latin-1"
            ),
            "UTF-8",
        ),
        (b"", "header"),
    ],
)
def test_an_unreadable_file_is_400_on_file(api, provider_user, package, content, message):
    upload = SimpleUploadedFile("visits.csv", content, content_type="text/csv")
    response = api(provider_user).post(URL, {"file": upload}, format="multipart")
    assert response.status_code == 400
    assert message in response.json()["file"][0]


def test_no_file_is_400(api, provider_user, package):
    response = api(provider_user).post(URL, {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


@pytest.mark.parametrize(
    ("role", "status"), [("broker", 403), ("finance", 403), ("commissioner", 403)]
)
def test_only_providers_and_admins_import(api, users, package, role, status):
    upload = csv_file([HEADER, *month_of_visits(package, 1)])
    assert api(users[role]).post(URL, {"file": upload}, format="multipart").status_code == status


def test_anonymous_import_is_401(api, package):
    upload = csv_file([HEADER, *month_of_visits(package, 1)])
    assert api().post(URL, {"file": upload}, format="multipart").status_code == 401


def test_import_queries_do_not_grow_with_rows(
    now, api, provider_user, provider_org, django_assert_max_num_queries
):
    packages = [PlacedPackageFactory(provider=provider_org, start_date=MARCH_1) for _ in range(5)]
    lines = [HEADER] + [line for package in packages for line in month_of_visits(package)]
    client = api(provider_user)
    # The file's packages, schedules, placements, provider, earlier visits and rates, one
    # COPY, then the day and the 4-week period rollups: the same 15 for any number of rows.
    with django_assert_max_num_queries(15):
        response = client.post(URL, {"file": csv_file(lines)}, format="multipart")
    assert response.json()["imported"] == 55


def test_a_failure_while_the_file_is_copied_in_records_nothing(monkeypatch, provider_user, package):
    """The visits are priced while COPY writes them: one failing part-way through ends the
    COPY, and none of the file is recorded."""
    priced = visits._delivered

    def fail_on_the_fifth(package, planned, terms, visit):
        if visit.date == MARCH_1 + datetime.timedelta(days=4):
            raise LookupError("no rate")
        return priced(package, planned, terms, visit)

    monkeypatch.setattr(visits, "_delivered", fail_on_the_fifth)
    records = ecm.read_csv(csv_file([HEADER, *month_of_visits(package)]))
    with pytest.raises(LookupError):
        services.import_visits(by=provider_user, records=records)
    assert not DeliveredVisit.objects.exists()
    assert not DailyDelivery.objects.exists()


def test_upload_page_lists_bad_rows_and_imports_nothing(page, provider_user, package):
    lines = [
        HEADER,
        f"{package.pk},2025-03-01,08:00,08:45,1",
        f"{package.pk},2025-03-02,8am,08:45,1",
    ]
    response = page(provider_user).post("/invoices/visits/upload/", {"file": csv_file(lines)})
    assert response.status_code == 200
    content = response.content.decode()
    assert "There is a problem" in content
    assert "1 rows have problems: nothing was imported." in content
    assert "Enter a time as HH:MM." in content
    assert not DeliveredVisit.objects.exists()


def test_upload_page_imports_a_good_file(page, provider_user, package):
    lines = [HEADER, *month_of_visits(package, 2)]
    response = page(provider_user).post("/invoices/visits/upload/", {"file": csv_file(lines)})
    assert response.status_code == 302
    assert response["Location"] == "/invoices/visits/"
    assert DeliveredVisit.objects.count() == 2


def test_upload_page_without_a_file_shows_the_error(page, provider_user, package):
    response = page(provider_user).post("/invoices/visits/upload/", {})
    assert response.status_code == 200
    assert "Choose a CSV file of visits to upload" in response.content.decode()
