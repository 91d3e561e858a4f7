"""The fixed lists (ratings, statuses, modes, roles) hold in the database too, not only in
forms and serializers: a bulk update or a script cannot store a value outside them."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from providers.models import Contract, Provider
from tests.factories import BrokerFactory, ContractFactory, ProviderFactory, ZoneFactory
from zones.models import Zone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("make", "model", "field"),
    [
        (ProviderFactory, Provider, "cqc_rating"),
        (ProviderFactory, Provider, "status"),
        (ZoneFactory, Zone, "allocation_mode"),
        (ContractFactory, Contract, "role"),
        (BrokerFactory, User, "role"),
    ],
)
def test_a_value_outside_the_list_is_refused_by_the_database(make, model, field):
    row = make()
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field: "wizard"})
