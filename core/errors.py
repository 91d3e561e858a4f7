"""Domain errors shared by every app.

`Conflict` is an action that the object's current state forbids (an offer
already taken, an invoice already paid): pages show it as a message, the API
answers 409.
"""

import contextlib

from django.core.exceptions import ValidationError
from django.db import IntegrityError


class Conflict(Exception):
    pass


@contextlib.contextmanager
def constraint_errors(meanings: dict[str, tuple[str, str]]):
    """Turn a database constraint that a concurrent request can still hit into a 400 naming
    its field, not a 500.

    The checks before a write see the state they read; two requests at once can both pass
    them, and then the database's constraint decides. `meanings` maps a part of the
    constraint's name (or its column) to the field and message to answer with; any other
    IntegrityError is left as it is. Wrap it around the transaction, so that the
    transaction has rolled back before the error is turned into a message.
    """
    try:
        yield
    except IntegrityError as error:
        text = str(error)
        for part, (field, message) in meanings.items():
            if part in text:
                raise ValidationError({field: [message]}) from error
        raise
