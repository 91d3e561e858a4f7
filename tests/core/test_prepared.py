"""Queries compiled once (core.queries.Prepared) answer what the queryset itself answers."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery

from accounts.models import ApiToken
from accounts.tokens import issue
from core.queries import Prepared
from providers.models import Contract, ContractRole
from tests.factories import ContractFactory, ProviderFactory, ProviderUserFactory, ZoneFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


def contracts(*, zone_id, today, role=None):
    """Contracts in a zone in force `today`, each with its provider's count of contracts."""
    others = (
        Contract.objects.filter(provider=OuterRef("provider_id"))
        .order_by()
        .values("provider_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    found = (
        Contract.objects.filter(zone_id=zone_id, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .annotate(contracts=Subquery(others))
        .select_related("provider", "zone")
        .order_by("provider__code")
    )
    return found if role is None else found.filter(role=role)


def facts(rows):
    return [(c.pk, c.provider.code, c.zone.code, c.contracts) for c in rows]


@pytest.fixture
def market():
    zones = [ZoneFactory(code=code) for code in ("AAA", "BBB")]
    providers = [ProviderFactory(code=f"P{n}") for n in range(3)]
    roles = (ContractRole.PRIMARY, ContractRole.SECONDARY, ContractRole.FRAMEWORK)
    for n, (provider, role) in enumerate(zip(providers, roles, strict=True)):
        ContractFactory(zone=zones[0], provider=provider, starts_on=DAY, role=role)
        if n:
            ContractFactory(
                zone=zones[1],
                provider=provider,
                starts_on=DAY + datetime.timedelta(days=n),
                ends_on=DAY + datetime.timedelta(days=10),
                role=ContractRole.FRAMEWORK,
            )
    return zones


def test_a_prepared_query_answers_as_the_queryset_for_any_values(market):
    prepared = Prepared(contracts)
    for zone in market:
        for days in (0, 1, 2, 11):
            today = DAY + datetime.timedelta(days=days)
            expected = facts(contracts(zone_id=zone.pk, today=today))
            assert facts(prepared(zone_id=zone.pk, today=today)) == expected
            for role in ContractRole.values:
                answered = prepared(zone_id=zone.pk, today=today, role=role)
                assert facts(answered) == facts(contracts(zone_id=zone.pk, today=today, role=role))
    # Compiled once per shape: with a role and without.
    assert len(prepared._shapes) == 2
    assert all(shape is not None for shape in prepared._shapes.values())


def test_a_value_the_builder_works_on_is_never_guessed_at(market):
    def shifted(*, zone_id, today):
        return contracts(zone_id=zone_id, today=today + datetime.timedelta(days=1))

    prepared = Prepared(shifted)
    for days in (0, 1, 11):
        today = DAY + datetime.timedelta(days=days)
        answered = prepared(zone_id=market[1].pk, today=today)
        assert facts(answered) == facts(shifted(zone_id=market[1].pk, today=today))
    assert list(prepared._shapes.values()) == [None]  # built each time


def test_none_is_built_as_usual(market):
    prepared = Prepared(contracts)
    today = DAY + datetime.timedelta(days=1)
    answered = prepared(zone_id=market[1].pk, today=today, role=None)
    assert facts(answered) == facts(contracts(zone_id=market[1].pk, today=today))
    assert not prepared._shapes


def tokens(*, token_key):
    return ApiToken.objects.filter(token_key=token_key).select_related("user")


def token_facts(rows):
    return [(t.pk, t.digest, t.expiry, t.user.pk, t.user.date_joined, t.user.role) for t in rows]


@pytest.mark.django_db(transaction=True)
def test_values_are_converted_as_the_queryset_converts_them_on_every_connection():
    """Each column's converters are found once for each connection, not once for all."""
    token, _ = issue(ProviderUserFactory())
    prepared = Prepared(tokens)
    expected = token_facts(tokens(token_key=token.token_key))
    assert isinstance(expected[0][0], uuid.UUID) and expected[0][2].tzinfo is not None
    answers = [token_facts(prepared(token_key=token.token_key)) for _ in range(2)]

    def elsewhere():
        try:
            answers.append(token_facts(prepared(token_key=token.token_key)))
        finally:
            connection.close()

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert answers == [expected] * 3
