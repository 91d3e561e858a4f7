"""Notifications (contract v1.1): each user's own, once per event, in the app and by email."""

import datetime

import pytest
from django.core import mail
from django.test import TestCase

from brokerage.celery import app as celery_app
from notifications import recipients
from notifications.models import Notification, NotificationKind
from notifications.services import notify
from tests.factories import BrokerFactory, ZoneFactory

pytestmark = pytest.mark.django_db

ROLES = ["admin", "broker", "commissioner", "finance", "provider"]


@pytest.fixture(autouse=True)
def _eager_tasks():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def tell(user, *, kind=NotificationKind.ESCALATED, event="package:1:round:1", **ids):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return notify(
            kind=kind,
            users=[user],
            message=f"Something happened ({event})",
            link="/packages/1/",
            event=event,
            **ids,
        )


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_its_own_notifications_newest_first(api, users, role, time_machine):
    me = users[role]
    time_machine.move_to(datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC), tick=False)
    tell(me, event="a", package_id=7)
    time_machine.move_to(datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC), tick=False)
    tell(me, kind=NotificationKind.DEADLINE_OVERDUE, event="b", invoice_id=3)
    tell(users["other_provider"], event="c")

    body = api(me).get("/api/v1/notifications/").json()

    assert body["count"] == 2
    newest, oldest = body["results"]
    assert set(newest) >= {"id", "kind", "message", "created_at", "read", "package", "invoice"}
    assert (newest["kind"], newest["invoice"], newest["package"]) == ("deadline_overdue", 3, None)
    assert (oldest["kind"], oldest["package"], oldest["invoice"]) == ("escalated", 7, None)
    assert newest["read"] is False
    assert datetime.datetime.fromisoformat(newest["created_at"]).utcoffset() is not None


def test_filters_by_kind_and_read(api, broker):
    first, second = tell(broker, event="a")[0], tell(broker, event="b", kind="review_due")[0]
    client = api(broker)
    assert client.post(f"/api/v1/notifications/{first.pk}/read/").json()["read"] is True

    def ids(query):
        return [n["id"] for n in client.get(f"/api/v1/notifications/?{query}").json()["results"]]

    assert ids("read=true") == [first.pk]
    assert ids("read=false") == [second.pk]
    assert ids("kind=review_due") == [second.pk]
    assert client.get("/api/v1/notifications/?kind=nonsense").status_code == 400


def test_another_users_notification_is_404_and_anonymous_is_401(api, broker, finance):
    (theirs,) = tell(finance)
    assert api(broker).get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert api(broker).post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    assert api().get("/api/v1/notifications/").status_code == 401
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_each_event_is_told_once_however_often_the_job_runs(broker):
    assert len(tell(broker, event="invoice:9")) == 1
    assert tell(broker, event="invoice:9") == []
    # Another kind for the same event is another notification.
    assert len(tell(broker, event="invoice:9", kind=NotificationKind.DEADLINE_OVERDUE)) == 1
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2


def test_what_is_emailed_is_also_in_the_app_and_a_user_without_email_gets_it_in_the_app(
    broker, finance
):
    finance.email = ""
    finance.save()
    tell(broker, event="x")
    tell(finance, event="x")
    assert [m.to for m in mail.outbox] == [[broker.email]]
    assert Notification.objects.filter(recipient=finance).exists()
    emailed = Notification.objects.get(recipient=broker)
    assert emailed.emailed_at is not None and emailed.message in mail.outbox[0].body


def test_brokers_of_a_zone_are_those_limited_to_it_or_not_limited():
    zone, elsewhere = ZoneFactory(code="Z1"), ZoneFactory(code="Z2")
    BrokerFactory(username="all")
    here = BrokerFactory(username="here")
    here.zones.add(zone)
    there = BrokerFactory(username="there")
    there.zones.add(elsewhere)
    BrokerFactory(username="gone", is_active=False)
    names = set(recipients.brokers_for_zone(zone.pk).values_list("username", flat=True))
    assert names == {"all", "here"}


def test_the_page_lists_and_marks_read(page, broker):
    (note,) = tell(broker)
    client = page(broker)
    response = client.get("/notifications/")
    assert note.message in response.content.decode()
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 302
    assert Notification.objects.get(pk=note.pk).read_at is not None
    csv = b"".join(client.get("/notifications/?format=csv").streaming_content).decode()
    assert csv.splitlines()[0] == "Sent at,Kind,Message,Read,Link"
