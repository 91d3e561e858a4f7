"""The access log: every view of a person's record, who and when and from where."""

import ipaddress

from django.db import connection

from core import clock
from core.net import client_ip

from ..models import PersonAccess


def log_person_access(*, person_id, user, request_or_ip, via) -> PersonAccess:
    """Append to the access log: `user` saw person `person_id` through `via`."""
    return PersonAccess.objects.create(
        person_id=person_id, user=user, at=clock.now(), ip_address=_ip(request_or_ip), via=via
    )


# A list's people in one statement, as an array: bulk_create prepares each row's values
# in Python, which was most of the time a reused page of 50 packages took (core.fresh).
PEOPLE_SEEN = f"""
INSERT INTO {PersonAccess._meta.db_table} (person_id, user_id, at, ip_address, via)
SELECT person_id, %s, %s, %s::inet, %s FROM unnest(%s::bigint[]) AS person_id
"""


def log_people_access(*, person_ids, user, request_or_ip, via) -> None:
    """The same for a list that shows several people at once (one row each)."""
    now, ip, person_ids = clock.now(), _ip(request_or_ip), list(dict.fromkeys(person_ids))
    if connection.vendor != "postgresql":
        PersonAccess.objects.bulk_create(
            PersonAccess(person_id=pk, user=user, at=now, ip_address=ip, via=via)
            for pk in person_ids
        )
    elif person_ids:
        with connection.cursor() as cursor:
            cursor.execute(PEOPLE_SEEN, [user.pk, now, ip, via, person_ids])


def _ip(request_or_ip):
    """The client's address (through our proxies, core.net), or an address given as text."""
    if hasattr(request_or_ip, "META"):
        return client_ip(request_or_ip)
    try:
        return str(ipaddress.ip_address(request_or_ip)) if request_or_ip else None
    except ValueError:
        return None
