"""UK postcode syntax: normalise `ex2 4qd` to `EX2 4QD` and take its district.

Syntax only, on the official format rules (outward code: area letters and
district; inward code: sector digit and unit letters); which postcodes we
cover is the zones' business. Anguilla-style and GIR 0AA are accepted as the
format allows.
"""

import re

from django.core.exceptions import ValidationError

_OUTWARD = r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"^(?P<outward>{_OUTWARD}|GIR)(?P<inward>{_INWARD}|0AA)$")
_DISTRICT = re.compile(rf"^{_OUTWARD}$")

MALFORMED_POSTCODE = "Enter a real UK postcode, like EX2 4QD."
MALFORMED_DISTRICT = "Enter a postcode district, like EX2 (the first part of a postcode)."


def normalise_postcode(raw: str) -> str:
    """`ex2 4qd` -> `EX2 4QD`; raises ValidationError for anything not shaped like a postcode."""
    compact = re.sub(r"\s+", "", str(raw or "")).upper()
    match = _POSTCODE.match(compact)
    if not match:
        raise ValidationError(MALFORMED_POSTCODE, code="malformed_postcode")
    return f"{match['outward']} {match['inward']}"


def postcode_district(postcode: str) -> str:
    """The outward code of a postcode (normalised first): `EX2 4QD` -> `EX2`."""
    return normalise_postcode(postcode).split(" ")[0]


def normalise_district(raw: str) -> str:
    """`ex2` -> `EX2`; raises ValidationError unless it is a valid outward code."""
    district = re.sub(r"\s+", "", str(raw or "")).upper()
    if not _DISTRICT.match(district):
        raise ValidationError(MALFORMED_DISTRICT, code="malformed_district")
    return district


def district_sort_key(district: str):
    """Order districts as people read them: EX2 before EX10."""
    match = re.match(r"^([A-Z]+)(\d+)(.*)$", district)
    if not match:
        return (district, 0, "")
    return (match[1], int(match[2]), match[3])
