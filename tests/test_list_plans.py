"""Every list, page and API, is served by an index for its filter and its order.

Each list is fetched as the user who reads it; its list query (the one that takes a page
of the list's table) is explained by PostgreSQL with scanning a whole table and sorting
made as costly as it can make them: a plan that still does either means that no index
serves that filter and that order, and a national market's list would read every row
to show fifty (bench/lists.py times them against a million packages).

A list of rows that grows with one organisation only (a provider's own packages,
invoices and offers, the contracts of a zone) is asked to find its rows by an index; it
may sort them.
"""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brokering.models import Offer
from invoicing import rollup
from invoicing.models import DeliveredVisit, Invoice, PaymentRun
from notifications.models import Notification
from packages.models import Package
from providers.models import Capacity, Contract, Provider
from tests import factories
from tests.brokering.factories import OfferFactory
from tests.invoicing.factories import InvoiceFactory
from zones.models import Zone

pytestmark = pytest.mark.django_db


def _index(model, *fields):
    """The name of `model`'s index on exactly these fields (named or named by Django)."""
    for index in model._meta.indexes:
        if tuple(index.fields) == fields:
            return index.name
    for constraint in model._meta.constraints:
        if tuple(getattr(constraint, "fields", ())) == fields:
            return constraint.name
    raise LookupError(f"{model.__name__} has no index on {fields}")


def _unique(model, field):
    """The index PostgreSQL makes for a unique column."""
    return f"{model._meta.db_table}_{model._meta.get_field(field).column}_key"


ORDERED = True
FOUND = False  # found by an index; the rows are few enough to sort
# (reader, url, model, the indexes that may serve its order, ORDERED or FOUND)
LISTS = [
    ("admin", "/packages/all/", Package, {"package_created"}, ORDERED),
    ("admin", "/packages/all/?status=open", Package, {"package_status_created"}, ORDERED),
    ("admin", "/packages/all/?zone={zone}", Package, {"package_zone_created"}, ORDERED),
    ("admin", "/packages/all/?escalated=true", Package, {"package_escalated"}, ORDERED),
    ("broker", "/packages/worklist/", Package, {"package_worklist"}, ORDERED),
    ("broker", "/packages/drafts/", Package, {"package_status_created"}, ORDERED),
    ("provider", "/packages/ours/", Package, None, FOUND),
    ("admin", "/api/v1/packages/", Package, {"package_created"}, ORDERED),
    ("admin", "/api/v1/packages/?status=placed", Package, {"package_status_created"}, ORDERED),
    ("admin", "/api/v1/packages/?zone={zone}", Package, {"package_zone_created"}, ORDERED),
    ("finance", "/invoices/", Invoice, {"invoice_received"}, ORDERED),
    ("finance", "/invoices/?deadline_status=overdue", Invoice, None, FOUND),
    ("provider", "/invoices/", Invoice, None, FOUND),
    ("finance", "/api/v1/invoices/", Invoice, {"invoice_received"}, ORDERED),
    ("finance", "/invoices/board/", Invoice, {"invoice_unpaid_due"}, ORDERED),
    ("finance", "/invoices/board/", Provider, {"provider_listed"}, ORDERED),
    ("finance", "/invoices/visits/", DeliveredVisit, {"delivered_visit_listed"}, ORDERED),
    ("finance", "/api/v1/visits/", DeliveredVisit, {"delivered_visit_listed"}, ORDERED),
    (
        "provider",
        "/api/v1/visits/",
        DeliveredVisit,
        {_index(DeliveredVisit, "provider", "date")},
        ORDERED,
    ),
    ("provider", "/brokering/offers/", Offer, None, FOUND),
    ("admin", "/api/v1/offers/", Offer, {"offer_sent_at_covering"}, ORDERED),
    ("provider", "/api/v1/offers/", Offer, {"offer_provider_sent_at"}, ORDERED),
    ("provider", "/notifications/", Notification, {"notification_recipient"}, ORDERED),
    ("provider", "/api/v1/notifications/", Notification, {"notification_recipient"}, ORDERED),
    ("commissioner", "/providers/", Provider, {"provider_listed"}, ORDERED),
    ("commissioner", "/api/v1/providers/", Provider, {"provider_listed"}, ORDERED),
    ("commissioner", "/zones/", Zone, {_unique(Zone, "code")}, ORDERED),
    ("commissioner", "/api/v1/zones/", Zone, {_unique(Zone, "code")}, ORDERED),
    ("commissioner", "/providers/capacity/", Capacity, {"capacity_week"}, ORDERED),
    ("commissioner", "/api/v1/capacity/", Capacity, {"capacity_week"}, ORDERED),
    ("commissioner", "/api/v1/contracts/?zone={zone}", Contract, None, FOUND),
    ("finance", "/invoices/payment-runs/", PaymentRun, {"payment_run_created"}, ORDERED),
    ("finance", "/api/v1/payment-runs/", PaymentRun, {"payment_run_created"}, ORDERED),
]


@pytest.fixture
def market(users):
    """A row in every list, so that each page runs its list query."""
    provider = users["provider"].provider
    zone = factories.ZoneFactory(code="Z-PLAN")
    package = factories.PlacedPackageFactory(zone=zone, provider=provider)
    factories.PackageFactory(zone=zone)
    factories.OpenPackageFactory(zone=zone, escalated=True)
    OfferFactory(package=package, provider=provider)
    InvoiceFactory(provider=provider)
    InvoiceFactory(provider=provider, received_on=timezone.localdate() - datetime.timedelta(40))
    factories.CapacityFactory(provider=provider, zone=zone)
    factories.ContractFactory(provider=provider, zone=zone)
    now = timezone.now()
    visit = DeliveredVisit.objects.create(
        package=package,
        provider=provider,
        zone=zone,
        base_rate=provider.hourly_rate,
        date=now.date(),
        actual_start=datetime.time(8),
        actual_end=datetime.time(9),
        recorded_at=now,
    )
    rollup.add_visits([visit])  # as recording it would: the list counts every visit from it
    Notification.objects.create(
        recipient=users["provider"], kind="offer", event="plan", message="-", created_at=now
    )
    PaymentRun.objects.create(reference="RUN-1", paid_on=now.date(), total=0, created_at=now)
    return {"zone": zone.code}


def _list_query(queries, table):
    """The query that took a page of `table`: a SELECT from it with a LIMIT."""
    for query in queries:
        sql = query["sql"]
        if sql.startswith("SELECT") and f'FROM "{table}"' in sql and " LIMIT " in sql:
            return sql
    raise AssertionError(f"no page of {table} was read")


def _plan(sql, *, may_sort=False):
    with connection.cursor() as cursor:
        # Only for this test's transaction: scanning or sorting a table costs more than
        # anything, so the plan takes an index wherever one can serve.
        cursor.execute("SET LOCAL enable_seqscan = off")
        if not may_sort:
            cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def _indexes_read(scan):
    """The indexes a scan of a table reads: its own, or its bitmap's."""
    if "Index Name" in scan:
        return {scan["Index Name"]}
    bitmaps = [node for node in _nodes(scan) if node["Node Type"].startswith("Bitmap")]
    return {node["Index Name"] for node in bitmaps if "Index Name" in node}


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


@pytest.mark.parametrize(("reader", "url", "model", "indexes", "ordered"), LISTS)
def test_each_list_is_served_by_an_index(
    client, users, market, reader, url, model, indexes, ordered
):
    client.force_login(users[reader])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url.format(**market))
    assert response.status_code == 200
    table = model._meta.db_table
    plan = _plan(_list_query(queries.captured_queries, table))
    nodes = list(_nodes(plan))
    scans = [node for node in nodes if node.get("Relation Name") == table]
    assert scans, f"{url} does not read {table}"
    for scan in scans:
        assert scan["Node Type"] != "Seq Scan", f"{url} reads all of {table}"
    if ordered:
        used = {name for scan in scans for name in _indexes_read(scan)}
        assert used and used <= indexes, (url, used, indexes)
        # An incremental sort puts rows in order within a run the index already ordered
        # (offers sent at the same instant, by id): it never reads the whole table.
        sorts = [node["Node Type"] for node in nodes if node["Node Type"] == "Sort"]
        assert not sorts, f"{url} sorts {table}: no index serves its order"


def test_the_deadline_check_reads_the_unpaid_invoices_only(finance):
    """Its cost follows the unpaid invoices whose next warning is due: it reads them from
    the partial index `invoice_to_warn`, never the invoices paid nor those warned overdue."""
    from invoicing.services.deadlines import check_invoice_deadlines

    InvoiceFactory(received_on=timezone.localdate() - datetime.timedelta(days=40))
    with CaptureQueriesContext(connection) as queries:
        check_invoice_deadlines()
    sql = next(
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT") and 'FROM "invoicing_invoice"' in query["sql"]
    )
    # It finds a few rows, and may sort them.
    plan = _plan(sql, may_sort=True)
    scans = [node for node in _nodes(plan) if node.get("Relation Name") == "invoicing_invoice"]
    assert scans and all(_indexes_read(scan) == {"invoice_to_warn"} for scan in scans)


def test_the_board_totals_read_the_unpaid_invoices_index_alone(client, users, market):
    """Its totals by deadline status come from `invoice_unpaid_due` (due date, total and
    amount held), never the table's rows: nationally those are 10,000 pages."""
    client.force_login(users["finance"])
    with CaptureQueriesContext(connection) as queries:
        client.get("/invoices/board/")
    sql = next(
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith('SELECT COUNT(*) AS "count", SUM(')
    )
    scans = [node for node in _nodes(_plan(sql)) if node.get("Relation Name")]
    assert [(scan["Node Type"], scan.get("Index Name")) for scan in scans] == [
        ("Index Only Scan", "invoice_unpaid_due")
    ]
