"""core.fresh: a page is reused only while PostgreSQL proves that nothing it shows has
changed; outside autocommit, on SQLite, with messages to show, it is rendered every time.

The tests commit (transaction=True): a snapshot proves nothing inside a test's transaction.
"""

import datetime
import threading
import time

import pytest
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from core import clock, fresh, tasks
from packages.models import PersonAccess
from tests.factories import BrokerFactory, PersonFactory, ZoneFactory
from tests.reuse import committed_elsewhere
from zones.models import Zone

pytestmark = pytest.mark.django_db(transaction=True)


class ZoneNames:
    """A page showing every zone's name; counts its renders."""

    def __init__(self, during=None):
        self.renders = 0
        self.during = during

    def __call__(self):
        self.renders += 1
        names = ", ".join(Zone.objects.order_by("pk").values_list("name", flat=True))
        if self.during:
            self.during()
        return HttpResponse(names), None


def signed_in(user, path="/zones/names/"):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    request.session.create()
    request._messages = default_storage(request)
    return request


def shown(request, render):
    return fresh.page(request, render)[0].content.decode()


@pytest.fixture
def zone():
    return ZoneFactory(code="EXE", name="Exeter")


@pytest.fixture
def request_(zone):
    return signed_in(BrokerFactory())


def test_a_page_is_reused_while_nothing_changes(request_):
    render = ZoneNames()
    assert shown(request_, render) == "Exeter"
    assert shown(request_, render) == "Exeter"
    assert render.renders == 1


def test_a_change_committed_since_is_shown(request_, zone):
    render = ZoneNames()
    shown(request_, render)
    committed_elsewhere(lambda: Zone.objects.filter(pk=zone.pk).update(name="Exeter City"))
    assert shown(request_, render) == "Exeter City"
    assert render.renders == 2


def test_a_change_committed_during_the_render_is_never_reused(request_, zone):
    def change():
        Zone.objects.filter(pk=zone.pk).update(name="Exeter City")

    render = ZoneNames(during=lambda: committed_elsewhere(change))
    assert shown(request_, render) == "Exeter"  # read before the change
    render.during = None
    assert shown(request_, render) == "Exeter City"


def test_a_change_running_at_the_snapshot_counts_once_it_commits(request_, zone):
    written, commit = threading.Event(), threading.Event()

    def change():
        with transaction.atomic():
            Zone.objects.filter(pk=zone.pk).update(name="Exeter City")
            written.set()
            commit.wait(10)

    thread = threading.Thread(target=lambda: (change(), connections.close_all()))
    thread.start()
    try:
        written.wait(10)
        render = ZoneNames()
        assert shown(request_, render) == "Exeter"
        # Not committed yet: what the page shows is still what there is.
        assert shown(request_, render) == "Exeter"
        assert render.renders == 1
    finally:
        commit.set()
        thread.join()
    assert shown(request_, render) == "Exeter City"


def test_a_write_to_an_exempt_table_keeps_the_page(request_):
    person = PersonFactory()
    render = ZoneNames()
    shown(request_, render)
    PersonAccess.objects.create(person=person, user=request_.user, at=clock.now(), via="/x/")
    shown(request_, render)
    assert render.renders == 1


def test_each_session_has_its_own_page(zone):
    render = ZoneNames()
    broker = BrokerFactory()
    shown(signed_in(broker), render)
    shown(signed_in(broker), render)
    assert render.renders == 2


def test_requests_for_a_page_being_rendered_wait_for_it_and_reuse_it(request_):
    render = ZoneNames(during=lambda: time.sleep(0.3))
    answers = []

    def ask():
        again = signed_in(request_.user)
        again.session = request_.session
        answers.append(shown(again, render))
        connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["Exeter"] * 3
    assert render.renders == 1


def test_the_page_of_another_path_or_htmx_target_is_another(request_):
    render = ZoneNames()
    shown(request_, render)
    other = signed_in(request_.user, "/zones/names/?page=2")
    other.session = request_.session
    shown(other, render)
    table = signed_in(request_.user)
    table.session = request_.session
    table.META["HTTP_HX_REQUEST"] = "true"
    shown(table, render)
    assert render.renders == 3


def test_a_change_to_the_user_is_another_page(request_):
    render = ZoneNames()
    shown(request_, render)
    request_.user.first_name = "Changed"  # as read, before the render's snapshot
    shown(request_, render)
    assert render.renders == 2


def test_the_next_minute_renders_again(request_, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 4, 9, 30, 10, tzinfo=datetime.UTC))
    render = ZoneNames()
    shown(request_, render)
    time_machine.move_to(datetime.datetime(2026, 12, 4, 9, 30, 50, tzinfo=datetime.UTC))
    shown(request_, render)
    assert render.renders == 1
    time_machine.move_to(datetime.datetime(2026, 12, 4, 9, 31, 0, tzinfo=datetime.UTC))
    shown(request_, render)
    assert render.renders == 2


def test_pending_messages_render_every_time(request_):
    messages.info(request_, "Package 1 submitted for brokering")
    render = ZoneNames()
    shown(request_, render)
    shown(request_, render)
    assert render.renders == 2
    assert len(messages.get_messages(request_)) == 1  # counted, not used up


def test_a_message_added_by_the_render_is_not_kept(request_):
    render = ZoneNames(during=lambda: messages.info(request_, "Something happened"))
    shown(request_, render)
    render.during = None
    again = signed_in(request_.user)
    again.session = request_.session
    shown(again, render)
    assert render.renders == 2


def test_a_page_for_nobody_signed_in_renders_every_time(request_):
    request_.user = AnonymousUser()
    render = ZoneNames()
    shown(request_, render)
    shown(request_, render)
    assert render.renders == 2


def test_only_a_200_is_kept(request_):
    renders = []

    def not_found():
        renders.append(1)
        return HttpResponse("Not found", status=404), None

    fresh.page(request_, not_found)
    fresh.page(request_, not_found)
    assert len(renders) == 2


def test_inside_a_transaction_nothing_is_kept_or_reused(request_):
    render = ZoneNames()
    shown(request_, render)
    with transaction.atomic():
        shown(request_, render)
        shown(request_, render)
    assert render.renders == 3


def test_without_postgresql_every_page_renders(request_, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    render = ZoneNames()
    shown(request_, render)
    shown(request_, render)
    assert render.renders == 2


def test_a_reused_page_gives_the_csrf_secret_its_forms_were_made_with(request_):
    from django.middleware.csrf import get_token

    def form():
        return HttpResponse(get_token(request_)), None

    token = fresh.page(request_, form)[0].content
    secret = request_.META["CSRF_COOKIE"]
    again = signed_in(request_.user)
    again.session = request_.session
    assert fresh.page(again, form)[0].content == token
    assert again.META["CSRF_COOKIE"] == secret
    assert again.META["CSRF_COOKIE_NEEDS_UPDATE"]


def test_a_reused_page_costs_one_query(request_, django_assert_num_queries):
    render = ZoneNames()
    shown(request_, render)
    with django_assert_num_queries(1):  # is anything newer than its snapshot
        shown(request_, render)


def test_every_table_is_noted_when_written_or_exempt_with_a_reason():
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'core_note_change'"
        )
        noted = {table.strip('"') for (table,) in cursor.fetchall()}
    missing = tables - noted - set(fresh.EXEMPT)
    assert not missing, (
        f"{sorted(missing)}: a page could show these tables' rows after they change. Add "
        "core.fresh.track(<table>) to the migration making each, or exempt it with a reason."
    )
    assert not noted & set(fresh.EXEMPT)
    assert set(fresh.EXEMPT) <= tables, "an exempt table no model has any more"


def test_forgetting_old_changes_keeps_the_recent_and_those_after_a_running_one():
    running, done = threading.Event(), threading.Event()

    def long_transaction():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_current_xact_id()")
            running.set()
            done.wait(10)

    thread = threading.Thread(target=lambda: (long_transaction(), connections.close_all()))
    thread.start()
    running.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_change")
            cursor.execute(
                "INSERT INTO core_change (xid, at) VALUES ('1', now() - interval '2 days'), "
                "('2', now() - interval '1 hour'), "
                "(pg_snapshot_xmax(pg_current_snapshot()), now() - interval '2 days')"
            )
        assert fresh.forget_old_changes() == 1  # the third began after a running one
        with connection.cursor() as cursor:
            cursor.execute("SELECT xid::text FROM core_change WHERE at > now() - interval '1 day'")
            assert cursor.fetchall() == [("2",)]
            cursor.execute("SELECT count(*) FROM core_change")
            assert cursor.fetchone()[0] == 2
    finally:
        # Once it ends the third goes too, when no older transaction of the server's (another
        # database's) still runs: not something a test here can know.
        done.set()
        thread.join()


def test_the_hourly_task_forgets_old_changes(settings):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "core.tasks.forget_old_changes" in schedule
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_change")
        cursor.execute("INSERT INTO core_change (xid, at) VALUES ('3', now() - interval '2 days')")
    assert tasks.forget_old_changes() == {"changes": 1}
