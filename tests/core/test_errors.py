"""A constraint a concurrent request can still hit answers 400 naming its field."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from core.errors import constraint_errors

MEANINGS = {"zone_code_key": ("code", "A zone with this code already exists.")}


def test_a_known_constraint_becomes_a_field_error():
    with pytest.raises(ValidationError) as raised, constraint_errors(MEANINGS):
        raise IntegrityError('duplicate key value violates unique constraint "zone_code_key"')
    assert raised.value.message_dict == {"code": ["A zone with this code already exists."]}


def test_any_other_integrity_error_is_left_as_it_is():
    with pytest.raises(IntegrityError), constraint_errors(MEANINGS):
        raise IntegrityError("something else entirely")
