"""NHS numbers: ten digits, the last a modulus-11 check digit.

Weights 10..2 on the first nine digits; check = 11 - (sum mod 11), where 11
means 0 and 10 means the number is invalid. 999 000 0000 to 999 999 9999
pass the check but are never issued: demo and test data use them.
"""

import re

from django.core.exceptions import ValidationError

INVALID_NHS_NUMBER = "Enter a valid 10-digit NHS number, like 943 476 5919."


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no digit can make them valid."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def normalise_nhs_number(raw: str) -> str:
    """`943 476 5919` -> `9434765919`; raises ValidationError if it fails the check."""
    digits = re.sub(r"[\s-]", "", str(raw or ""))
    if not re.fullmatch(r"[0-9]{10}", digits) or check_digit(digits[:9]) != int(digits[9]):
        raise ValidationError(INVALID_NHS_NUMBER, code="invalid_nhs_number")
    return digits


def spaced_nhs_number(digits: str) -> str:
    """`9434765919` -> `943 476 5919`, as it is printed on NHS letters and cards."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def is_valid_nhs_number(raw: str) -> bool:
    try:
        normalise_nhs_number(raw)
    except ValidationError:
        return False
    return True


def demo_nhs_number(serial: int) -> str:
    """The `serial`-th demo NHS number (0 <= serial < 100,000), in the never-issued 999 range.

    The ninth digit is the first that makes the number valid: varying it
    changes the check sum by 2 each step, so at most one choice is invalid and
    different serials never give the same number.
    """
    if not 0 <= serial < 100_000:
        raise ValueError("serial must be between 0 and 99,999")
    for ninth in range(10):
        first_nine = f"999{serial:05d}{ninth}"
        digit = check_digit(first_nine)
        if digit is not None:
            return first_nine + str(digit)
    raise AssertionError("unreachable: at most one ninth digit is invalid")
