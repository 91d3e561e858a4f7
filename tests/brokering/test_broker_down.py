"""With the Celery broker down, nothing saved is lost and nobody is told "500": the sweeps
do later what the lost messages would have done."""

import datetime

import pytest
from django.core import mail
from django.db import transaction

from brokerage.celery import app as celery_app
from brokering.models import Offer
from brokering.tasks import sweep_brokering
from core import clock
from notifications.models import Notification, NotificationKind
from notifications.services import notify
from notifications.tasks import send_unsent_notification_emails
from packages.models import PackageStatus
from tests.factories import BrokerFactory, PackageFactory
from zones.models import AllocationMode

from .factories import market

# Nothing listens there: connecting is refused at once.
DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(monkeypatch):
    # Tasks really go to the broker (not inline), and the broker is a closed port. Celery
    # prefers the environment variable to its configuration; its producers are made again.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setenv("CELERY_BROKER_URL", DEAD_BROKER)
    monkeypatch.setitem(celery_app.conf, "broker_url", DEAD_BROKER)
    celery_app.amqp._producer_pool = None
    yield
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_submit_answers_200_and_the_sweep_brokers_it_later(api, broker_down):
    zone, p = market(AllocationMode.BROADCAST)
    broker = BrokerFactory()
    package = PackageFactory(zone=zone)

    response = api(broker).post(f"/api/v1/packages/{package.pk}/submit/")

    assert response.status_code == 200
    assert response.json()["status"] == PackageStatus.OPEN
    assert not Offer.objects.filter(package=package).exists()
    celery_app.conf.task_always_eager = True  # the broker is back: the sweep runs as beat's
    sweep_brokering()
    assert {offer.provider for offer in Offer.objects.filter(package=package)} == {
        p["primary"],
        p["secondary"],
    }


@pytest.mark.django_db(transaction=True)
def test_an_email_never_queued_is_sent_by_the_sweep(broker_down, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
    user = BrokerFactory(email="broker@example.org")
    with transaction.atomic():
        notify(
            kind=NotificationKind.ESCALATED,
            users=[user],
            message="Package 7 escalated",
            link="/packages/7/",
            event="package:7:escalated",
        )
    notification = Notification.objects.get()
    assert notification.emailed_at is None and mail.outbox == []

    # Left to its own task's retries first, then the sweep's.
    assert send_unsent_notification_emails() == 0
    time_machine.move_to(clock.now() + datetime.timedelta(minutes=6), tick=False)
    assert send_unsent_notification_emails() == 1
    assert send_unsent_notification_emails() == 0
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert [message.to for message in mail.outbox] == [["broker@example.org"]]


@pytest.mark.django_db
def test_old_news_and_people_without_email_are_left_in_the_app(time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 9, 0, tzinfo=datetime.UTC), tick=False)
    with_email, without = BrokerFactory(email="broker@example.org"), BrokerFactory(email="")
    for days, user in ((3, with_email), (0, without)):
        Notification.objects.create(
            recipient=user,
            kind=NotificationKind.ESCALATED,
            event=f"package:{days}",
            message="Package escalated",
            link="/packages/1/",
            created_at=clock.now() - datetime.timedelta(days=days, minutes=10),
        )
    assert send_unsent_notification_emails() == 0
    assert mail.outbox == []
