"""The 28-day deadline: statuses computed when read, and finance warned once per status."""

import datetime
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import TestCase

from brokerage.celery import app as celery_app
from invoicing import tasks
from invoicing.models import DeadlineNotification, Invoice
from notifications.models import Notification
from notifications.services import send_emails
from tests.factories import AdminFactory, FinanceFactory
from tests.invoicing.factories import InvoiceFactory, PaidInvoiceFactory

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


@pytest.fixture(autouse=True)
def _eager_tasks():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def check(run=tasks.check_invoice_deadlines):
    """Run the check as a job would: the warnings' emails go by task once it commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return run()


def status_of(invoice, today):
    return Invoice.objects.with_deadline(today).get(pk=invoice.pk).deadline_status


def day(text):
    return datetime.date.fromisoformat(text)


@pytest.mark.parametrize(
    ("received", "today", "due", "status"),
    [
        ("2025-01-31", "2025-02-20", "2025-02-28", "ok"),  # 8 days left
        ("2025-01-31", "2025-02-21", "2025-02-28", "due_soon"),  # 7 days left
        ("2025-01-31", "2025-02-28", "2025-02-28", "due_soon"),  # due today
        ("2025-01-31", "2025-03-01", "2025-02-28", "overdue"),  # across the month end
        ("2024-02-01", "2024-02-22", "2024-02-29", "due_soon"),  # leap year
        ("2024-02-01", "2024-03-01", "2024-02-29", "overdue"),
        ("2025-12-10", "2026-01-01", "2026-01-07", "due_soon"),  # across the year end
        ("2025-12-10", "2025-12-30", "2026-01-07", "ok"),
    ],
)
def test_deadline_status_across_month_ends(received, today, due, status):
    invoice = InvoiceFactory(received_on=day(received), due_by=day(due))
    assert invoice.due_by == invoice.received_on + datetime.timedelta(days=28)
    assert status_of(invoice, day(today)) == status


@pytest.mark.parametrize(
    ("paid_on", "status"),
    [("2025-02-27", "met"), ("2025-02-28", "met"), ("2025-03-01", "late")],
)
def test_paid_invoices_are_met_or_late(paid_on, status):
    invoice = PaidInvoiceFactory(
        received_on=day("2025-01-31"), due_by=day("2025-02-28"), paid_on=day(paid_on)
    )
    for today in ("2025-02-01", "2025-03-15", "2026-01-01"):
        assert status_of(invoice, day(today)) == status


@pytest.mark.parametrize(
    ("moment", "due", "status"),
    [
        # Spring forward (30 March 2025, 01:00 UTC). 22:59 UTC is 23:59 BST on the 30th...
        (datetime.datetime(2025, 3, 30, 22, 59, tzinfo=UTC), "2025-03-30", "due_soon"),
        # ...and 23:30 UTC is already 31 March in the UK: overdue, though UTC says the 30th.
        (datetime.datetime(2025, 3, 30, 23, 30, tzinfo=UTC), "2025-03-30", "overdue"),
        # Before the change, UTC and UK dates agree at 23:30 UTC.
        (datetime.datetime(2025, 3, 29, 23, 30, tzinfo=UTC), "2025-03-29", "due_soon"),
        # Fall back (26 October 2025): 23:30 UTC on the 25th is 00:30 BST on the 26th...
        (datetime.datetime(2025, 10, 25, 23, 30, tzinfo=UTC), "2025-10-25", "overdue"),
        # ...and after the change, 23:30 UTC on the 26th is 23:30 GMT, still the 26th.
        (datetime.datetime(2025, 10, 26, 23, 30, tzinfo=UTC), "2025-10-26", "due_soon"),
        # 7 days left counted in UK dates on the night the clocks go forward.
        (datetime.datetime(2025, 3, 30, 23, 30, tzinfo=UTC), "2025-04-07", "due_soon"),
        (datetime.datetime(2025, 3, 30, 22, 30, tzinfo=UTC), "2025-04-07", "ok"),
    ],
)
def test_deadline_status_uses_the_uk_date_across_the_clock_change(
    time_machine, api, finance, moment, due, status
):
    time_machine.move_to(moment, tick=False)
    due_by = day(due)
    invoice = InvoiceFactory(received_on=due_by - datetime.timedelta(days=28), due_by=due_by)
    response = api(finance).get(f"/api/v1/invoices/{invoice.pk}/")
    assert response.json()["deadline_status"] == status


def test_deadline_status_is_right_when_read_even_if_no_job_ran(time_machine, api, finance):
    time_machine.move_to(datetime.datetime(2025, 3, 1, 12, tzinfo=UTC), tick=False)
    invoice = InvoiceFactory()
    client = api(finance)
    assert client.get(f"/api/v1/invoices/{invoice.pk}/").json()["deadline_status"] == "ok"
    time_machine.move_to(datetime.datetime(2025, 3, 22, 12, tzinfo=UTC), tick=False)
    assert client.get(f"/api/v1/invoices/{invoice.pk}/").json()["deadline_status"] == "due_soon"
    time_machine.move_to(datetime.datetime(2025, 3, 30, 12, tzinfo=UTC), tick=False)
    assert client.get(f"/api/v1/invoices/{invoice.pk}/").json()["deadline_status"] == "overdue"
    assert not DeadlineNotification.objects.exists()


@pytest.fixture
def finance_team(db):
    return [FinanceFactory(username="fin-a"), FinanceFactory(username="fin-b", email="")]


def beat(time_machine, start, hours, every=1):
    """Run the deadline task every `every` hours from `start` for `hours` hours; the number sent."""
    sent = 0
    for hour in range(0, hours, every):
        time_machine.move_to(start + datetime.timedelta(hours=hour, minutes=5), tick=False)
        sent += check()
    return sent


def test_each_warning_is_sent_once_per_invoice_per_stage(time_machine, finance_team):
    start = datetime.datetime(2025, 3, 21, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    invoice = InvoiceFactory(received_on=day("2025-03-01"))  # due 29 March
    paid = PaidInvoiceFactory(received_on=day("2025-02-01"), paid_on=day("2025-02-10"))
    # Every 3 hours for 10 days: due soon from 22 March, due today on 29th, overdue from 30th.
    assert beat(time_machine, start, 10 * 24, every=3) == 3
    warnings = DeadlineNotification.objects.filter(invoice=invoice).order_by("sent_at")
    assert [w.status for w in warnings] == ["due_soon", "due_today", "overdue"]
    assert [w.sent_at.date() for w in warnings] == [
        day("2025-03-22"),
        day("2025-03-29"),
        day("2025-03-30"),
    ]
    assert not DeadlineNotification.objects.filter(invoice=paid).exists()
    assert len(mail.outbox) == 3
    assert mail.outbox[0].to == ["fin-a@example.org"]
    assert "Due in 7 days" in mail.outbox[0].body
    assert "Due today" in mail.outbox[1].body
    assert "OVERDUE" in mail.outbox[2].subject
    assert f"/invoices/{invoice.pk}/" in mail.outbox[2].body


def test_finance_and_admins_see_each_warning_in_the_app_too(time_machine, finance_team):
    admin = AdminFactory(username="admin-a")
    time_machine.move_to(datetime.datetime(2025, 3, 22, 9, tzinfo=UTC), tick=False)
    invoice = InvoiceFactory(received_on=day("2025-03-01"))  # due 29 March: 7 days left
    assert check() == 1
    notes = Notification.objects.filter(invoice_id=invoice.pk)
    # Every finance officer, with an email address or not, and the administrator.
    assert set(notes.values_list("recipient__username", flat=True)) == {
        "fin-a",
        "fin-b",
        admin.username,
    }
    assert set(notes.values_list("kind", flat=True)) == {"deadline_due_soon"}
    assert all(note.link == f"/invoices/{invoice.pk}/" for note in notes)


def test_beat_down_for_48_hours_catches_up_without_duplicates(time_machine, finance_team):
    start = datetime.datetime(2025, 3, 20, 9, tzinfo=UTC)
    time_machine.move_to(start, tick=False)
    first = InvoiceFactory(received_on=day("2025-02-21"))  # due 21 March
    second = InvoiceFactory(received_on=day("2025-03-01"))  # due 29 March
    fine = InvoiceFactory(received_on=day("2025-03-15"))  # due 12 April
    assert beat(time_machine, start, 3) == 1  # first is due soon; hourly runs repeat nothing
    assert DeadlineNotification.objects.get().invoice == first

    # Beat is down for 48 hours: meanwhile first turns overdue and second due soon.
    time_machine.move_to(start + datetime.timedelta(hours=51), tick=False)
    assert check() == 2
    assert set(DeadlineNotification.objects.values_list("invoice_id", "status")) == {
        (first.pk, "due_soon"),
        (first.pk, "overdue"),
        (second.pk, "due_soon"),
    }
    # A second beat in the same hour, and the command by hand: nothing twice.
    assert check() == 0
    check(lambda: call_command("check_invoice_deadlines"))
    assert beat(time_machine, start + datetime.timedelta(hours=52), 3) == 0
    assert DeadlineNotification.objects.count() == 3
    assert len(mail.outbox) == 3  # fin-b has no email address: in the app only
    assert not DeadlineNotification.objects.filter(invoice=fine).exists()


def test_the_command_runs_the_same_check(time_machine, finance_team, capsys):
    time_machine.move_to(datetime.datetime(2025, 3, 25, 9, tzinfo=UTC), tick=False)
    InvoiceFactory(received_on=day("2025-02-20"))
    call_command("check_invoice_deadlines")
    assert "Sent 1 deadline warning." in capsys.readouterr().out
    call_command("check_invoice_deadlines")
    assert "Sent 0 deadline warnings." in capsys.readouterr().out


def test_a_failed_email_stays_unsent_for_a_retry_and_the_warning_stands(
    time_machine, finance_team, settings
):
    time_machine.move_to(datetime.datetime(2025, 3, 25, 9, tzinfo=UTC), tick=False)
    InvoiceFactory(received_on=day("2025-02-20"))
    settings.EMAIL_BACKEND = "tests.invoicing.test_deadlines.BrokenBackend"
    assert check() == 1  # the warning is given; its email's task fails (and retries)
    assert DeadlineNotification.objects.count() == 1
    unsent = Notification.objects.get(recipient__username="fin-a")
    assert unsent.emailed_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert send_emails([unsent.pk]) == 1
    assert len(mail.outbox) == 1
    assert send_emails([unsent.pk]) == 0


class BrokenBackend:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("mail server down")


def test_without_a_finance_user_nothing_is_recorded_as_sent(time_machine):
    time_machine.move_to(datetime.datetime(2025, 3, 25, 9, tzinfo=UTC), tick=False)
    InvoiceFactory(received_on=day("2025-02-20"))
    assert check() == 0
    assert not DeadlineNotification.objects.exists()


def test_beat_schedules_the_task_hourly_by_its_name():
    entry = settings.CELERY_BEAT_SCHEDULE["check-invoice-deadlines"]
    assert (
        entry["task"]
        == tasks.check_invoice_deadlines.name
        == ("invoicing.tasks.check_invoice_deadlines")
    )


def test_two_beats_at_once_send_each_warning_once(transactional_db, time_machine):
    time_machine.move_to(datetime.datetime(2025, 3, 25, 9, tzinfo=UTC), tick=False)
    FinanceFactory(username="fin-a")
    for received in ("2025-02-20", "2025-02-21", "2025-03-01", "2025-02-25"):
        InvoiceFactory(received_on=day(received))
    barrier = threading.Barrier(2)
    sent = []

    def run():
        barrier.wait()
        try:
            sent.append(tasks.check_invoice_deadlines())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(sent) == 4
    assert DeadlineNotification.objects.count() == 4
    assert Notification.objects.count() == 4


def test_a_warning_on_the_last_day_says_due_today(time_machine, finance_team):
    # Beat was down all week: its first run finds the invoice due soon, on its last day.
    time_machine.move_to(datetime.datetime(2025, 3, 29, 9, tzinfo=UTC), tick=False)
    InvoiceFactory(received_on=day("2025-03-01"))  # due 29 March
    assert check() == 1
    assert mail.outbox[0].subject == "Invoice payment due today"
    assert mail.outbox[0].body.startswith("Due today: invoice ")
    assert Notification.objects.get(recipient__username="fin-a").kind == "deadline_due_today"
