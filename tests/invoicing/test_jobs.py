"""Large imports and invoice builds off the web request: a job per upload or build, run by a
worker, all or nothing, its progress on its page; run once however often delivered."""

import datetime
import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection, connections

from brokerage.celery import app as celery_app
from invoicing import services
from invoicing.models import DeliveredVisit, Invoice, InvoicingJob, JobKind, JobStatus
from invoicing.services import jobs, visits
from tests.factories import PlacedPackageFactory, ProviderUserFactory

from .conftest import MARCH_1, NOW
from .test_import import HEADER, csv_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_inline(monkeypatch):
    """Files of more than 3 rows, invoices of more than 3 visits go to a worker."""
    monkeypatch.setattr(jobs, "INLINE_ROWS", 3)
    monkeypatch.setattr(jobs, "INLINE_VISITS", 3)


def rows(package, days, start="08:00", end="08:45"):
    return [
        f"{package.pk},{(MARCH_1 + datetime.timedelta(days=day)).isoformat()},{start},{end},1"
        for day in range(days)
    ]


def upload(client, lines):
    return client.post("/invoices/visits/upload/", {"file": csv_file(lines)})


def test_a_large_file_is_imported_by_a_job_whose_page_follows_it(
    small_inline, page, provider_user, package
):
    client = page(provider_user)
    response = upload(client, [HEADER, *rows(package, 5)])
    job = InvoicingJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/invoices/jobs/{job.pk}/"
    assert (job.kind, job.status, job.total) == (JobKind.VISITS_IMPORT, JobStatus.QUEUED, 5)
    assert not DeliveredVisit.objects.exists()  # nothing in the request
    waiting = client.get(response["Location"]).content.decode()
    assert "Waiting to start: 5 rows" in waiting
    assert 'hx-trigger="every 1s"' in waiting

    assert services.run_job(job.pk) is True
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.result == {"imported": 5, "missed": 0, "short": 0, "late": 0, "unplanned": 0}
    assert job.file is None  # kept only until it has run
    assert DeliveredVisit.objects.count() == 5
    done = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "5 delivered visits recorded" in done
    assert "hx-trigger" not in done  # finished: the page stops asking


def test_a_small_file_is_still_imported_in_the_request(small_inline, page, provider_user, package):
    response = upload(page(provider_user), [HEADER, *rows(package, 3)])
    assert response["Location"] == "/invoices/visits/"
    assert DeliveredVisit.objects.count() == 3
    assert not InvoicingJob.objects.exists()


def test_a_job_with_a_bad_row_imports_nothing_and_names_the_row(
    small_inline, page, provider_user, package
):
    client = page(provider_user)
    lines = [HEADER, *rows(package, 4), f"{package.pk},2025-03-05,8am,08:45,1"]
    upload(client, lines)
    job = InvoicingJob.objects.get()
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert [row["row"] for row in job.errors["rows"]] == [6]
    assert not DeliveredVisit.objects.exists()
    content = client.get(f"/invoices/jobs/{job.pk}/").content.decode()
    assert "There is a problem" in content
    assert "1 rows have problems: nothing was imported." in content
    assert "Enter a time as HH:MM." in content


def test_a_job_runs_once_however_often_its_task_is_delivered(small_inline, provider_user, package):
    job = services.queue_visits_import(
        by=provider_user, content="\n".join([HEADER, *rows(package, 4)]).encode(), rows=4
    )
    assert services.run_job(job.pk) is True
    assert services.run_job(job.pk) is False
    assert DeliveredVisit.objects.count() == 4
    assert InvoicingJob.objects.get().status == JobStatus.DONE


def test_a_job_whose_worker_was_lost_is_run_again_and_a_lost_task_queued_again(
    time_machine, provider_user, package
):
    job = services.queue_visits_import(
        by=provider_user, content="\n".join([HEADER, *rows(package, 4)]).encode(), rows=4
    )
    InvoicingJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=NOW)
    assert services.run_job(job.pk) is False  # another worker has it
    assert services.requeue_stalled_jobs() == 0
    time_machine.move_to(NOW + jobs.STALLED_AFTER + datetime.timedelta(seconds=1), tick=False)
    assert services.requeue_stalled_jobs() == 1
    assert services.run_job(job.pk) is True
    assert DeliveredVisit.objects.count() == 4


def test_a_large_invoice_is_built_by_a_job(small_inline, page, provider_user, package):
    client = page(provider_user)
    services.import_visits(by=provider_user, records=list(enumerate(_records(package, 11), 2)))
    fields = {"reference": "BIG-1", "period_start": "2025-03-01", "period_end": "2025-03-11"}
    assert "Check your invoice" in client.post("/invoices/new/", fields).content.decode()
    assert not InvoicingJob.objects.exists()  # the preview is shown first, then sent
    response = client.post("/invoices/new/", {**fields, "confirm": "yes"})
    job = InvoicingJob.objects.get()
    assert response["Location"] == f"/invoices/jobs/{job.pk}/"
    assert not Invoice.objects.exists()
    assert "Building invoice BIG-1" in client.get(response["Location"]).content.decode()
    services.run_job(job.pk)
    invoice = Invoice.objects.get()
    assert InvoicingJob.objects.get().result["invoice"] == invoice.pk
    content = client.get(response["Location"]).content.decode()
    assert "Invoice BIG-1: £205.92" in content
    assert f'href="/invoices/{invoice.pk}/"' in content


def test_an_invoice_job_that_cannot_build_saves_nothing_and_says_why(
    small_inline, page, provider_user, package
):
    client = page(provider_user)
    services.import_visits(by=provider_user, records=list(enumerate(_records(package, 11), 2)))
    form = {
        "reference": "BIG-1",
        "period_start": "2025-03-01",
        "period_end": "2025-03-11",
        "confirm": "yes",
    }
    client.post("/invoices/new/", form)
    client.post("/invoices/new/", form)  # the same reference again, before the first has run
    first, second = InvoicingJob.objects.order_by("pk")
    services.run_job(first.pk)
    services.run_job(second.pk)
    second.refresh_from_db()
    assert second.status == JobStatus.FAILED
    assert "already recorded" in second.errors["reference"][0]
    assert Invoice.objects.count() == 1
    assert "already recorded" in client.get(f"/invoices/jobs/{second.pk}/").content.decode()


def _records(package, days):
    return [
        {"package": package.pk, "date": (MARCH_1 + datetime.timedelta(days=day)).isoformat(),
         "actual_start": "08:00", "actual_end": "08:45", "carers": "1"}
        for day in range(days)
    ]  # fmt: skip


def test_only_who_started_a_job_sees_it(page, provider_user, package, users):
    job = services.queue_visits_import(by=provider_user, content=b"x", rows=1)
    url = f"/invoices/jobs/{job.pk}/"
    colleague = ProviderUserFactory(provider=provider_user.provider)
    assert page(provider_user).get(url).status_code == 200
    assert page(colleague).get(url).status_code == 404
    assert page(users["admin"]).get(url).status_code == 404
    assert page().get(url).status_code == 302  # to sign in


def test_the_job_page_reads_a_fixed_number_of_queries(
    small_inline, page, provider_user, package, django_assert_max_num_queries
):
    client = page(provider_user)
    upload(client, [HEADER, *rows(package, 4), f"{package.pk},2025-03-05,8am,08:45,1"])
    job = InvoicingJob.objects.get()
    services.run_job(job.pk)
    client.get(f"/invoices/jobs/{job.pk}/")
    with django_assert_max_num_queries(6):
        client.get(f"/invoices/jobs/{job.pk}/")


@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_while_the_work_is_still_uncommitted(
    monkeypatch, time_machine, provider_org
):
    """Another session (the page) sees each step at once, though the import's own
    transaction shows nothing until it commits."""
    time_machine.move_to(NOW)
    package = PlacedPackageFactory(provider=provider_org, start_date=MARCH_1)
    user = ProviderUserFactory(provider=provider_org)
    monkeypatch.setattr(visits, "PROGRESS_EVERY", 4)
    job = services.queue_visits_import(
        by=user, content="\n".join([HEADER, *rows(package, 10)]).encode(), rows=10
    )
    seen = []
    write = jobs.Progress.__call__

    def write_and_look(self, stage, done, total):
        write(self, stage, done, total)
        seen.append(_seen_elsewhere(job.pk))

    monkeypatch.setattr(jobs.Progress, "__call__", write_and_look)
    services.run_job(job.pk)
    assert seen == [
        ("checked", 4, 10, 0),
        ("checked", 8, 10, 0),
        ("checked", 10, 10, 0),
        # The visits are written as they are priced, not yet committed.
        ("recorded", 4, 10, 0),
        ("recorded", 8, 10, 0),
        ("recorded", 10, 10, 0),
    ]
    assert DeliveredVisit.objects.count() == 10


def _seen_elsewhere(job_id):
    """(stage, done, total, visits recorded) as a session of its own sees them."""
    found = []

    def look():
        try:
            job = InvoicingJob.objects.get(pk=job_id)
            found.append((job.stage, job.done, job.total, DeliveredVisit.objects.count()))
        finally:
            connection.close()

    thread = threading.Thread(target=look)
    thread.start()
    thread.join()
    return found[0]


@pytest.fixture
def worker(monkeypatch):
    """A real Celery worker on the broker, on a queue named for this test database."""
    queue = f"invoicing-{connection.settings_dict['NAME']}"
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    monkeypatch.setitem(connections.settings["default"], "CONN_MAX_AGE", 0)
    try:
        with start_worker(
            celery_app, pool="solo", queues=[queue], perform_ping_check=False, shutdown_timeout=10
        ):
            yield
    finally:
        celery_app.conf.task_default_queue = default_queue


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_the_file_the_page_queued(
    worker, small_inline, time_machine, page, provider_org
):
    time_machine.move_to(NOW)
    package = PlacedPackageFactory(provider=provider_org, start_date=MARCH_1)
    client = page(ProviderUserFactory(provider=provider_org))
    response = upload(client, [HEADER, *rows(package, 11)])
    deadline = time.monotonic() + 15
    while InvoicingJob.objects.get().status != JobStatus.DONE:
        assert time.monotonic() < deadline, InvoicingJob.objects.values().get()
        time.sleep(0.05)
    assert DeliveredVisit.objects.count() == 11
    assert "11 delivered visits recorded" in client.get(response["Location"]).content.decode()
