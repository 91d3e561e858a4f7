"""The NHS number check, against an implementation written here from the definition."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, given
from hypothesis import strategies as st

from packages.nhs import demo_nhs_number, is_valid_nhs_number, normalise_nhs_number


def reference_is_valid(digits: str) -> bool:
    """Modulus 11: weights 10 down to 2 on the first nine digits; 11 - remainder is the check
    digit, 11 counting as 0 and 10 meaning no number with these nine digits is valid."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    remainder = sum(int(digit) * (10 - i) for i, digit in enumerate(digits[:9])) % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)


@given(ten_digits)
def test_agrees_with_the_reference_on_any_ten_digits(digits):
    assert is_valid_nhs_number(digits) == reference_is_valid(digits)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_nine_digits_have_at_most_one_valid_check_digit(first_nine):
    valid = [d for d in "0123456789" if reference_is_valid(first_nine + d)]
    assert len(valid) <= 1
    assert [d for d in "0123456789" if is_valid_nhs_number(first_nine + d)] == valid


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_spacing_is_ignored_and_the_digits_kept(first_nine):
    valid = [first_nine + d for d in "0123456789" if reference_is_valid(first_nine + d)]
    assume(valid)
    digits = valid[0]
    spaced = f" {digits[:3]} {digits[3:6]}-{digits[6:]} "
    assert normalise_nhs_number(spaced) == digits


@given(st.text(max_size=14).filter(lambda s: not s.replace(" ", "").isdigit()))
def test_anything_but_digits_is_refused(text):
    assert not is_valid_nhs_number(text)


@given(st.integers(min_value=0, max_value=99_999))
def test_demo_numbers_are_valid_and_never_issued(serial):
    number = demo_nhs_number(serial)
    assert reference_is_valid(number)
    assert number.startswith("999")


def test_demo_numbers_are_distinct():
    numbers = [demo_nhs_number(n) for n in range(0, 100_000, 7)]
    assert len(set(numbers)) == len(numbers)


@pytest.mark.parametrize(
    ("raw", "valid"), [("943 476 5919", True), ("9434765918", False), ("", False)]
)
def test_examples(raw, valid):
    assert is_valid_nhs_number(raw) is valid
    if not valid:
        with pytest.raises(ValidationError, match="943 476 5919"):
            normalise_nhs_number(raw)
