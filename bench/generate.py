"""Large synthetic markets for the benchmarks, generated inside PostgreSQL.

`generate(scale)` fills an empty, migrated database with zones, postcode
districts, providers, contracts, declared capacity, people, care packages
over several years, their offers and hand-backs, and 4-weekly invoices with
their lines, paid in weekly payment runs; the first version of each package
with the planned visits behind its weekly hours, its placements, the timeline of each package, a user for each provider
organisation and the notifications of its offers. Every table is filled by one `INSERT ... SELECT` over
`generate_series`, so a national market (a million packages) takes minutes,
not hours. Ids are assigned explicitly (1..n) so that rows can refer to each
other arithmetically; the sequences are moved past them at the end.

The shapes follow the domain: most packages are placed within hours (median
about an hour, a long tail), a few wait for days, some are cancelled or
handed back; people may have several packages; invoices are paid mostly
within the 28 days.
"""

import datetime
import time
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from accounts.models import User
from brokering.models import Offer
from invoicing import rollup
from invoicing.models import DailyDelivery, DeliveredVisit, Invoice, InvoiceLine, PaymentRun
from notifications.models import Notification
from packages.models import (
    HandBack,
    Package,
    PackageEvent,
    PackageVersion,
    Person,
    Placement,
    Visit,
)
from providers.models import Capacity, Contract, Provider, Rate
from zones.models import ROTATION_EPOCH, PostcodeDistrict, Zone

PERIOD_DAYS = 28


@dataclass(frozen=True)
class Scale:
    name: str
    zones: int
    providers: int
    packages: int
    weeks: int  # how far back the history goes

    @property
    def people(self) -> int:
        return int(self.packages * 0.7)


SCALES = {
    "county": Scale("county", zones=10, providers=60, packages=20_000, weeks=156),
    "national": Scale("national", zones=1_500, providers=13_000, packages=1_000_000, weeks=208),
}


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _without_indexes(model):
    """Drop the table's plain indexes (not its keys or constraints); answer how to rebuild them."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = %(table)s::regclass AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
            {"table": model._meta.db_table},
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return [definition for _, definition in indexes]


def insert_select(model, columns: dict[str, str], source: str, params=None):
    """INSERT INTO model's table the given column expressions over `source` (a FROM clause).

    Columns the generator does not name get their model default, so that a
    field added later with a default does not break the generator.
    """
    names = list(columns)
    expressions = [columns[name] for name in names]
    defaults = []
    for field in model._meta.concrete_fields:
        if field.column in columns or field.primary_key or field.null:
            continue
        default = field.get_default()
        if default is None:
            raise RuntimeError(f"{model.__name__}.{field.name} needs a value in the generator")
        names.append(field.column)
        expressions.append(f"%(default_{field.column})s")
        defaults.append((f"default_{field.column}", field.get_db_prep_save(default, connection)))
    sql = (
        f"INSERT INTO {_table(model)} ({', '.join(connection.ops.quote_name(n) for n in names)}) "
        f"SELECT {', '.join(expressions)} FROM {source}"
    )
    rebuild = _without_indexes(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, {**dict(defaults), **(params or {})})
        rows = cursor.rowcount
        for definition in rebuild:
            cursor.execute(definition)
    return rows


def _execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def generate(scale: Scale, *, now: datetime.datetime | None = None, log=print) -> dict:
    """Fill the (empty) database with a market of `scale`; answer the row counts."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {}
    _execute("SELECT setseed(0.42)")
    # The generator's rows refer to each other correctly by construction: skip
    # the foreign key triggers, and build each big table's indexes once, after
    # its rows are in, rather than row by row.
    _execute("SET session_replication_role = replica")
    steps = [
        ("zones", _zones),
        ("providers", _providers),
        ("people", _people),
        ("packages", _packages),
        ("planned_visits", _planned_visits),
        ("hand_backs", _hand_backs),
        ("placements", _placements),
        ("offers", _offers),
        ("package_events", _package_events),
        ("provider_users", _provider_users),
        ("notifications", _notifications),
        ("capacity", _capacity),
        ("invoices", _invoices),
        ("payment_runs", _payment_runs),
        ("delivered_visits", _delivered_visits),
        ("daily_delivery", _daily_delivery),
    ]
    for name, step in steps:
        started = time.perf_counter()
        counts[name] = step(scale, now, today)
        log(f"  {name}: {counts[name]:,} rows in {time.perf_counter() - started:.1f} s")
    _execute("SET session_replication_role = DEFAULT")
    for model in (
        Zone,
        PostcodeDistrict,
        Provider,
        Rate,
        Contract,
        Capacity,
        Person,
        Package,
        PackageVersion,
        Visit,
        HandBack,
        Placement,
        Offer,
        PackageEvent,
        User,
        Notification,
        Invoice,
        PaymentRun,
        InvoiceLine,
        DeliveredVisit,
        DailyDelivery,
    ):
        table = model._meta.db_table
        _execute(
            f"SELECT setval(pg_get_serial_sequence(%(table)s, 'id'), "
            f"COALESCE((SELECT max(id) FROM {_table(model)}), 0) + 1, false)",
            {"table": table},
        )
    started = time.perf_counter()
    # Vacuumed as autovacuum leaves a live database (the benchmark's server may run
    # without it): freshly inserted rows are not yet all-visible, and would make every
    # index-only scan read the table too.
    _execute("VACUUM (ANALYZE)")
    log(f"  vacuum and analyze: {time.perf_counter() - started:.1f} s")
    return counts


def _history_start(scale, today):
    """A day before anything the generator makes (a year's slack before its history)."""
    return today - datetime.timedelta(weeks=scale.weeks + 52)


def _zones(scale, now, today):
    rows = insert_select(
        Zone,
        {
            "id": "i",
            "code": "'Z' || lpad(i::text, 4, '0')",
            "name": "'Zone ' || i",
            "allocation_mode": "(ARRAY['rota', 'cascade', 'broadcast'])[1 + mod(i, 3)]",
            "offer_window_minutes": "240",
            "urgent_offer_window_minutes": "30",
            "rotation_weeks": "2",
            "created_at": "%(now)s",
            "updated_at": "%(now)s",
        },
        "generate_series(1, %(zones)s) AS i",
        {"now": now, "zones": scale.zones},
    )
    # Two made-up districts per zone (QA1, RA1, ...): unique, at most four characters.
    insert_select(
        PostcodeDistrict,
        {"zone_id": "i", "district": _district("i", "prefix")},
        "generate_series(1, %(zones)s) AS i CROSS JOIN (VALUES ('Q'), ('R')) AS p(prefix)",
        {"zones": scale.zones},
    )
    return rows


def _district(zone_id, prefix="'Q'"):
    return f"{prefix} || chr((65 + mod({zone_id} / 100, 26))::int) || mod({zone_id}, 100)"


def _providers(scale, now, today):
    rows = insert_select(
        Provider,
        {
            "id": "i",
            "code": "'P' || lpad(i::text, 5, '0')",
            "name": "'Provider ' || i || ' Home Care Ltd'",
            "cqc_location_id": "'1-' || (100000000 + i)",
            "cqc_rating": "CASE WHEN r < 0.15 THEN 'outstanding' WHEN r < 0.85 THEN 'good' "
            "WHEN r < 0.97 THEN 'requires_improvement' ELSE 'inadequate' END",
            "status": "CASE WHEN r2 < 0.92 THEN 'active' WHEN r2 < 0.96 THEN 'suspended' "
            "ELSE 'exited' END",
            "lot": "CASE WHEN mod(i, 10) = 0 THEN 2 ELSE 1 END",
            "weekly_hours_cap": "CASE WHEN mod(i, 10) = 0 THEN 600 END",
            "contact_email": "'office@p' || i || '.example.org'",
            "created_at": "%(now)s",
            "updated_at": "%(now)s",
        },
        "(SELECT i, random() AS r, random() AS r2 FROM generate_series(1, %(providers)s) AS i) s",
        {"now": now, "providers": scale.providers},
    )
    # Each provider's every-zone rate, in force since before the history starts.
    insert_select(
        Rate,
        {
            "provider_id": "i",
            "zone_id": "NULL",
            "hourly_rate": "round((22 + random() * 11)::numeric, 2)",
            "effective_from": "%(since)s",
            "created_at": "%(now)s",
        },
        "generate_series(1, %(providers)s) AS i",
        {"now": now, "providers": scale.providers, "since": _history_start(scale, today)},
    )
    # Each provider works in one zone, most in a second; the first provider in
    # a zone is its primary and the next its secondary (80/20 in rota zones).
    insert_select(
        Contract,
        {
            "zone_id": "zone_id",
            "provider_id": "provider_id",
            "role": "CASE WHEN provider_id <= %(zones)s THEN 'primary' "
            "WHEN provider_id <= 2 * %(zones)s THEN 'secondary' ELSE 'framework' END",
            "share_percent": "CASE WHEN provider_id <= %(zones)s THEN 80 "
            "WHEN provider_id <= 2 * %(zones)s THEN 20 ELSE 0 END",
            "starts_on": "%(since)s",
            "guaranteed_hours": "0",
            "created_at": "%(now)s",
        },
        """(
            SELECT DISTINCT zone_id, provider_id FROM (
                SELECT 1 + mod(i - 1, %(zones)s) AS zone_id, i AS provider_id
                FROM generate_series(1, %(providers)s) AS i
                UNION ALL
                SELECT 1 + mod(i * 7, %(zones)s), i
                FROM generate_series(2 * %(zones)s + 1, %(providers)s) AS i
                WHERE mod(i, 4) <> 0
            ) AS c
        ) AS s""",
        {
            "zones": scale.zones,
            "providers": scale.providers,
            "now": now,
            "since": _history_start(scale, today),
        },
    )
    _execute(
        f"""CREATE TEMP TABLE zone_providers AS
        SELECT zone_id, provider_id,
               (row_number() OVER (PARTITION BY zone_id ORDER BY provider_id) - 1)::int AS idx,
               (count(*) OVER (PARTITION BY zone_id))::int AS n
        FROM {_table(Contract)}"""
    )
    _execute("CREATE INDEX ON zone_providers (zone_id, idx)")
    _execute("ANALYZE zone_providers")
    return rows


def _people(scale, now, today):
    # NHS numbers from the never-issued 999 range with a valid modulus-11
    # check digit (prefixes whose check digit would be 10 are skipped). A
    # person's zone is a function of their id, so their packages share it.
    zone = "(1 + mod(id * 7919, %(zones)s))"
    return insert_select(
        Person,
        {
            "id": "id",
            "nhs_number": "prefix::text || check_digit::text",
            "given_name": "(ARRAY['Ada','Bill','Cath','Dev','Edna','Frank','Gwen','Harry'])"
            "[1 + mod(prefix, 8)]",
            "family_name": "(ARRAY['Ashworth','Bradley','Cole','Dunn','Ellis','Ford'])"
            "[1 + mod(prefix, 6)]",
            "date_of_birth": "DATE '1925-01-01' + mod(prefix * 37, 25000)::int",
            "address_line": "(1 + mod(prefix, 200)) || ' Fore Street'",
            "postcode": _district(zone) + " || ' 1AA'",
            "created_at": "%(now)s",
            "updated_at": "%(now)s",
        },
        f"""(
            SELECT row_number() OVER (ORDER BY prefix) AS id, prefix,
                   CASE WHEN 11 - mod(weighted, 11) = 11 THEN 0 ELSE 11 - mod(weighted, 11) END
                   AS check_digit
            FROM (
                SELECT prefix, {_weighted_digits("prefix")} AS weighted
                FROM generate_series(999000000::bigint, 999000000 + %(candidates)s) AS prefix
            ) AS w
            WHERE 11 - mod(weighted, 11) <> 10
            ORDER BY prefix
            LIMIT %(people)s
        ) AS s""",
        {
            "zones": scale.zones,
            "now": now,
            "candidates": int(scale.people * 1.2) + 100,
            "people": scale.people,
        },
    )


def _weighted_digits(column):
    """The modulus-11 weighted sum of a nine-digit number's digits (weights 10 down to 2)."""
    return " + ".join(
        f"mod({column} / {10 ** (9 - position)}, 10) * {11 - position}" for position in range(1, 10)
    )


def _packages(scale, now, today):
    _execute(
        """CREATE TEMP TABLE package_plan AS
        SELECT i AS id, person_id, 1 + mod(person_id::bigint * 7919, %(zones)s) AS zone_id,
               submitted_at,
               -- Minutes to fill: log-normal, median about 55, a long tail.
               LEAST(exp(ln(55) + 1.1 * sqrt(-2 * ln(1 - u1)) * cos(2 * pi() * u2)), 7200)
                   AS fill_minutes,
               ((2 + u3 * 40) * 7)::int AS duration_days, u1, u2, u3, u4, u5, u6
        FROM (
            SELECT i, 1 + floor(random() * %(people)s)::int AS person_id,
                   %(now)s - make_interval(secs => ((%(span)s * (1 - i::float / %(n)s))
                                           + random() * 60) * 60) AS submitted_at,
                   random() AS u1, random() AS u2, random() AS u3, random() AS u4,
                   random() AS u5, random() AS u6
            FROM generate_series(1, %(n)s) AS i
        ) AS r""",
        {
            "zones": scale.zones,
            "people": scale.people,
            "now": now,
            "span": scale.weeks * 7 * 24 * 60,
            "n": scale.packages,
        },
    )
    _execute(
        """CREATE TEMP TABLE package_state AS
        SELECT p.*,
               CASE WHEN u4 < 0.01 THEN 'draft'
                    WHEN u4 < 0.04 THEN 'cancelled'
                    WHEN submitted_at + make_interval(secs => (fill_minutes) * 60) > %(now)s
                         OR (u4 < 0.06 AND submitted_at > %(now)s - interval '60 days') THEN 'open'
                    WHEN submitted_at + make_interval(secs => (fill_minutes) * 60)
                         + make_interval(days => duration_days) < %(now)s THEN 'ended'
                    ELSE 'placed' END AS status,
               zp.provider_id AS chosen_provider, zp.n AS zone_providers, zp.idx AS first_idx
        FROM package_plan p
        JOIN (SELECT DISTINCT zone_id, n FROM zone_providers) AS zn ON zn.zone_id = p.zone_id
        JOIN zone_providers zp ON zp.zone_id = p.zone_id AND zp.idx = floor(p.u5 * zn.n)::int""",
        {"now": now},
    )
    _execute("ANALYZE package_state")
    placed = "s.status IN ('placed', 'ended')"
    placed_at = "(s.submitted_at + make_interval(secs => s.fill_minutes * 60))"
    ended_at = f"({placed_at} + make_interval(days => s.duration_days))"
    return insert_select(
        Package,
        {
            "id": "s.id",
            "person_id": "s.person_id",
            "zone_id": "s.zone_id",
            "source": "CASE WHEN u6 < 0.4 THEN 'hospital_discharge' WHEN u6 < 0.75 THEN "
            "'community' WHEN u6 < 0.9 THEN 'reablement' ELSE 'review' END",
            "priority": "CASE WHEN (u6 < 0.4 AND u5 < 0.6) OR u5 < 0.08 THEN 'urgent' "
            "ELSE 'standard' END",
            "status": "s.status",
            "start_date": "(s.submitted_at AT TIME ZONE 'Europe/London')::date + 1",
            "hospital_ready_on": "CASE WHEN u6 < 0.4 THEN "
            "(s.submitted_at AT TIME ZONE 'Europe/London')::date - floor(u1 * 3)::int END",
            "weekly_hours": "round(((1 + floor(u2 * 4)) * (ARRAY[30, 45, 60])[1 + floor(u3 * 3)]"
            " * 7 * CASE WHEN u1 < 0.1 THEN 2 ELSE 1 END / 60.0)::numeric, 2)",
            "provider_id": f"CASE WHEN {placed} THEN s.chosen_provider END",
            "escalated": "s.status = 'open' AND s.u4 < 0.06",
            "brokering_round": "CASE WHEN s.status = 'draft' THEN 0 ELSE 1 END",
            "submitted_at": "CASE WHEN s.status <> 'draft' THEN s.submitted_at END",
            "waiting_since": "CASE WHEN s.status <> 'draft' THEN s.submitted_at END",
            "placed_at": f"CASE WHEN {placed} THEN {placed_at} END",
            "ended_at": f"CASE WHEN s.status = 'ended' THEN {ended_at} END",
            "ended_on": f"CASE WHEN s.status = 'ended' THEN "
            f"({ended_at} AT TIME ZONE 'Europe/London')::date END",
            "cancelled_at": f"CASE WHEN s.status = 'cancelled' THEN {placed_at} END",
            "cancel_reason": "CASE WHEN s.status = 'cancelled' THEN 'No longer needed' ELSE '' END",
            "created_at": "s.submitted_at - interval '30 minutes'",
            "updated_at": "s.submitted_at",
        },
        "package_state AS s",
    )


def _planned_visits(scale, now, today):
    """Each package's first (and only) version, and the visits behind its weekly hours
    (see `weekly_hours` above): one to four a day, every day, of 30, 45 or 60 minutes,
    double-handed for one package in ten. A version's id is its package's."""
    insert_select(
        PackageVersion,
        {
            "id": "p.id",
            "package_id": "p.id",
            "number": "1",
            "weekly_hours": "p.weekly_hours",
            "reason": "''",
            "created_at": "p.created_at",
            "in_force": "true",
        },
        f"{_table(Package)} p",
    )
    return insert_select(
        Visit,
        {
            "version_id": "s.id",
            "days": '\'["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\'::jsonb',
            "time": "TIME '07:30' + make_interval(hours => 4 * n)",
            "duration_minutes": "(ARRAY[30, 45, 60])[1 + floor(s.u3 * 3)]",
            "carers": "CASE WHEN s.u1 < 0.1 THEN 2 ELSE 1 END",
            "purpose": "(ARRAY['personal_care', 'medication', 'meal', 'sitting'])[1 + n]",
        },
        """package_state AS s
        CROSS JOIN LATERAL generate_series(0, floor(s.u2 * 4)::int) AS n""",
    )


def _hand_backs(scale, now, today):
    # About 2% of placements are handed back within four weeks (the package
    # was placed again afterwards: it keeps its final state here).
    return insert_select(
        HandBack,
        {
            "package_id": "s.id",
            "provider_id": "zp.provider_id",
            "reason": "'Cannot staff the visits'",
            "at": "LEAST(s.submitted_at + make_interval(secs => (s.fill_minutes) * 60) "
            "+ make_interval(days => floor(s.u3 * 28)::int), %(now)s)",
        },
        """package_state AS s JOIN zone_providers zp ON zp.zone_id = s.zone_id
           AND zp.idx = mod(s.first_idx + 1, s.zone_providers)
           WHERE s.status IN ('placed', 'ended') AND s.u2 < 0.02""",
        {"now": now},
    )


def _offers(scale, now, today):
    # 1 to 4 offers per package to the zone's providers in turn: the earlier
    # ones declined (about two in three) or expired, the last accepted when
    # the package was placed.
    declined = "mod(s.id * 31 + s.j * 17, 100) < 65"
    return insert_select(
        Offer,
        {
            "package_id": "s.id",
            "provider_id": "zp.provider_id",
            "round": "1",
            "status": f"""CASE
                WHEN s.j = s.k - 1 AND s.status IN ('placed', 'ended') THEN 'accepted'
                WHEN s.j = s.k - 1 AND s.status = 'cancelled' THEN 'withdrawn'
                WHEN s.j = s.k - 1 AND s.sent + interval '240 minutes' > %(now)s THEN 'pending'
                WHEN s.j = s.k - 1 THEN 'expired'
                WHEN {declined} THEN 'declined'
                ELSE 'expired' END""",
            "sent_at": "s.sent",
            "expires_at": "s.sent + interval '240 minutes'",
            "answered_at": f"""CASE
                WHEN s.j = s.k - 1 AND s.status IN ('placed', 'ended')
                    THEN s.submitted_at + make_interval(secs => (s.fill_minutes) * 60)
                WHEN s.j = s.k - 1 THEN NULL
                WHEN {declined} THEN s.sent + make_interval(secs => (s.fill_minutes / s.k * 0.8) * 60)
                END""",
            "decline_reason": f"""CASE WHEN s.j < s.k - 1 AND {declined}
                THEN 'no_capacity' ELSE '' END""",
        },
        """(
            SELECT s.*, j, s.submitted_at + make_interval(secs => (s.fill_minutes * j / s.k) * 60) AS sent
            FROM (
                SELECT s.*, LEAST(1 + floor(s.u3 * s.u3 * 4)::int, s.zone_providers) AS k
                FROM package_state s WHERE s.status <> 'draft'
            ) AS s
            CROSS JOIN LATERAL generate_series(0, s.k - 1) AS j
        ) AS s
        JOIN zone_providers zp ON zp.zone_id = s.zone_id
             AND zp.idx = mod(s.first_idx + s.j, s.zone_providers)""",
        {"now": now},
    )


def _placements(scale, now, today):
    """The placement of each provider that took a package on, as the services keep them: a
    provider that handed it back from its start to the day it did; the one caring for it
    now (or when it ended) from its start, or from the day it was placed again."""
    local_day = "AT TIME ZONE 'Europe/London')::date"
    rows = insert_select(
        Placement,
        {
            "package_id": "p.id",
            "provider_id": "h.provider_id",
            "starts_on": "p.start_date",
            "ends_on": f"GREATEST((h.at {local_day}, p.start_date - 1)",
            "placed_at": "h.at",
        },
        f"{_table(HandBack)} h JOIN {_table(Package)} p ON p.id = h.package_id",
    )
    return rows + insert_select(
        Placement,
        {
            "package_id": "p.id",
            "provider_id": "p.provider_id",
            "starts_on": f"""CASE WHEN EXISTS (SELECT 1 FROM {_table(HandBack)} h
                WHERE h.package_id = p.id) THEN GREATEST(p.start_date, (p.placed_at {local_day})
                ELSE p.start_date END""",
            "ends_on": "p.ended_on",
            "placed_at": "COALESCE(p.placed_at, p.created_at)",
        },
        f"{_table(Package)} p WHERE p.provider_id IS NOT NULL",
    )


def _package_events(scale, now, today):
    """Each package's timeline: created, submitted, an entry per offer sent and per offer
    answered or expired, then placed (or cancelled) and ended."""
    placed_at = "(s.submitted_at + make_interval(secs => s.fill_minutes * 60))"
    rows = insert_select(
        PackageEvent,
        {"package_id": "e.package_id", "kind": "e.kind", "at": "e.at", "detail": "''"},
        f"""(
            SELECT s.id AS package_id, 'created' AS kind, s.submitted_at - interval '30 minutes' AS at
            FROM package_state s
            UNION ALL
            SELECT s.id, 'submitted', s.submitted_at FROM package_state s WHERE s.status <> 'draft'
            UNION ALL
            SELECT s.id, CASE WHEN s.status = 'cancelled' THEN 'cancelled' ELSE 'placed' END,
                   {placed_at}
            FROM package_state s WHERE s.status IN ('placed', 'ended', 'cancelled')
            UNION ALL
            SELECT s.id, 'ended', {placed_at} + make_interval(days => s.duration_days)
            FROM package_state s WHERE s.status = 'ended'
        ) AS e""",
    )
    return rows + insert_select(
        PackageEvent,
        {
            "package_id": "o.package_id",
            "kind": "e.kind",
            "at": "e.at",
            "provider_id": "o.provider_id",
            "detail": "''",
        },
        f"""{_table(Offer)} o CROSS JOIN LATERAL (
            SELECT 'offered' AS kind, o.sent_at AS at
            UNION ALL
            SELECT o.status, COALESCE(o.answered_at, o.expires_at)
            WHERE o.status IN ('accepted', 'declined', 'expired')
        ) AS e""",
    )


def _provider_users(scale, now, today):
    """A user for each provider organisation (its offers notify it)."""
    return insert_select(
        User,
        {
            "id": "p.id",
            "username": "'user-' || lower(p.code)",
            "password": "'!'",
            "is_superuser": "false",
            "first_name": "''",
            "last_name": "''",
            "email": "p.contact_email",
            "is_staff": "false",
            "is_active": "true",
            "date_joined": "%(now)s",
            "role": "'provider'",
            "provider_id": "p.id",
        },
        f"{_table(Provider)} p",
        {"now": now},
    )


def _notifications(scale, now, today):
    """The offer notification of every offer, to its provider's user; read within a day,
    except those of the last week (some still unread)."""
    return insert_select(
        Notification,
        {
            "recipient_id": "o.provider_id",
            "kind": "'offer'",
            "event": "'package:' || o.package_id || ':round:' || o.round",
            "message": "'Package ' || o.package_id || ' offered to you: answer in the portal.'",
            "link": "'/brokering/offers/' || o.id || '/'",
            "package_id": "o.package_id",
            "created_at": "o.sent_at",
            "read_at": "CASE WHEN o.sent_at < %(week_ago)s OR mod(o.id, 3) = 0 "
            "THEN o.sent_at + interval '2 hours' END",
            "emailed_at": "o.sent_at",
        },
        f"{_table(Offer)} o",
        {"week_ago": now - datetime.timedelta(days=7)},
    )


def _capacity(scale, now, today):
    monday = today - datetime.timedelta(days=today.weekday())
    return insert_select(
        Capacity,
        {
            "provider_id": "c.provider_id",
            "zone_id": "c.zone_id",
            "week_start": "%(monday)s::date - 7 * w",
            "hours": "round((5 + random() * 35)::numeric, 2)",
            "declared_at": "%(now)s",
        },
        f"{_table(Contract)} AS c CROSS JOIN generate_series(0, 11) AS w "
        "WHERE mod(c.provider_id * 13 + w * 7, 10) < 6",
        {"monday": monday, "now": now},
    )


def _invoices(scale, now, today):
    """One invoice per provider and 4-week period in arrears, a line per package."""
    # Periods count from a Monday long before the history starts.
    epoch = ROTATION_EPOCH - datetime.timedelta(days=PERIOD_DAYS * 100)
    local_day = "AT TIME ZONE 'Europe/London')::date"
    _execute(
        f"""CREATE TEMP TABLE line_plan AS
        SELECT p.id AS package_id, p.provider_id, period,
               (p.weekly_hours * 4)::numeric(9, 2) AS commissioned,
               (p.weekly_hours * 4 * (0.85 + 0.15 * random()))::numeric(9, 2) AS delivered,
               pr.hourly_rate
        FROM {_table(Package)} p
        JOIN {_table(Rate)} pr ON pr.provider_id = p.provider_id AND pr.zone_id IS NULL
        CROSS JOIN LATERAL generate_series(
            ((p.placed_at {local_day} - %(epoch)s) / {PERIOD_DAYS},
            ((COALESCE(p.ended_at, %(now)s) {local_day} - %(epoch)s) / {PERIOD_DAYS}
        ) AS period
        WHERE p.placed_at IS NOT NULL
          AND %(epoch)s + (period + 1) * {PERIOD_DAYS} <= %(today)s""",
        {"epoch": epoch, "now": now, "today": today},
    )
    _execute(
        f"""CREATE TEMP TABLE invoice_plan AS
        SELECT row_number() OVER (ORDER BY period, provider_id) AS id, provider_id, period,
               %(epoch)s + period * {PERIOD_DAYS} AS period_start,
               %(epoch)s + period * {PERIOD_DAYS} + {PERIOD_DAYS - 1} AS period_end,
               %(epoch)s + (period + 1) * {PERIOD_DAYS} + floor(random() * 10)::int
                   AS received_on,
               random() AS u
        FROM (SELECT DISTINCT provider_id, period FROM line_plan) AS d""",
        {"epoch": epoch},
    )
    _execute("CREATE INDEX ON invoice_plan (provider_id, period)")
    paid = "received_on + 35 < %(today)s"
    paid_on = "received_on + 10 + floor(u * u * 30)::int"
    rows = insert_select(
        Invoice,
        {
            "id": "id",
            "provider_id": "provider_id",
            "reference": "'INV-' || period || '-' || provider_id",
            "period_start": "period_start",
            "period_end": "period_end",
            "received_on": "received_on",
            "due_by": "received_on + 28",
            "status": f"CASE WHEN {paid} THEN 'paid' WHEN u < 0.5 THEN 'approved' "
            "ELSE 'received' END",
            "paid_on": f"CASE WHEN {paid} THEN {paid_on} END",
            "payment_reference": f"CASE WHEN {paid} THEN 'PAY-' || id ELSE '' END",
            "created_at": "received_on::timestamptz",
            "paid_at": f"CASE WHEN {paid} THEN ({paid_on})::timestamptz END",
        },
        "invoice_plan",
        {"today": today},
    )
    insert_select(
        InvoiceLine,
        {
            "invoice_id": "i.id",
            "package_id": "l.package_id",
            "commissioned_hours": "l.commissioned",
            "delivered_hours": "l.delivered",
            "payable_hours": "LEAST(l.delivered, l.commissioned)",
            "rate": "l.hourly_rate",
            "amount": "round(LEAST(l.delivered, l.commissioned) * l.hourly_rate, 2)",
            "visit_count": "28",
        },
        "line_plan l JOIN invoice_plan i ON i.provider_id = l.provider_id AND i.period = l.period",
    )
    _execute(
        f"""UPDATE {_table(Invoice)} AS inv SET total = t.total
        FROM (SELECT invoice_id, sum(amount) AS total FROM {_table(InvoiceLine)}
              GROUP BY invoice_id) AS t
        WHERE t.invoice_id = inv.id"""
    )
    return rows


def _payment_runs(scale, now, today):
    """Paid invoices were paid in weekly runs: one run per week of payment dates."""
    week = "date_trunc('week', i.paid_on)::date"
    rows = insert_select(
        PaymentRun,
        {
            "reference": "'RUN-' || to_char(w.week, 'IYYY-IW')",
            "paid_on": "w.week",
            "total": "w.total",
            "created_at": "w.week::timestamptz",
        },
        f"""(SELECT {week} AS week, sum(i.total) AS total FROM {_table(Invoice)} i
            WHERE i.paid_on IS NOT NULL GROUP BY 1) AS w""",
    )
    _execute(
        f"""UPDATE {_table(Invoice)} AS i SET payment_run_id = r.id
        FROM {_table(PaymentRun)} r
        WHERE i.paid_on IS NOT NULL AND r.paid_on = {week}"""
    )
    return rows


def _delivered_visits(scale, now, today):
    """The last 4 weeks of call monitoring for live packages: one record a day each,
    a little short of the planned time now and then."""
    planned = "round(p.weekly_hours * 60 / 7)::int"
    actual = f"({planned} - floor(random() * 0.2 * {planned})::int)"
    return insert_select(
        DeliveredVisit,
        {
            "package_id": "p.id",
            "provider_id": "p.provider_id",
            "zone_id": "p.zone_id",
            "base_rate": "pr.hourly_rate",
            "date": "d::date",
            "actual_start": "TIME '08:00'",
            "actual_end": "TIME '08:00' + make_interval(mins => a.minutes)",
            "carers": "1",
            "planned_start": "TIME '08:00'",
            "planned_minutes": planned,
            "planned_carers": "1",
            "actual_minutes": "a.minutes",
            "payable_minutes": f"CASE WHEN a.minutes >= {planned} - 5 THEN {planned} "
            "ELSE a.minutes - mod(a.minutes, 5) END",
            "recorded_at": "d + interval '1 day'",
        },
        f"""{_table(Package)} p
        JOIN {_table(Rate)} pr ON pr.provider_id = p.provider_id AND pr.zone_id IS NULL
        CROSS JOIN LATERAL generate_series(
            GREATEST(%(first)s::date, (p.placed_at AT TIME ZONE 'Europe/London')::date),
            %(last)s::date, interval '1 day') AS d
        CROSS JOIN LATERAL (SELECT LEAST({actual}, 1439) AS minutes) AS a
        WHERE p.status = 'placed' AND p.weekly_hours > 0""",
        {
            "first": today - datetime.timedelta(days=PERIOD_DAYS),
            "last": today - datetime.timedelta(days=1),
        },
    )


def _daily_delivery(scale, now, today):
    """The visits summed per zone and day, as recording them through the services would."""
    return rollup.rebuild()
