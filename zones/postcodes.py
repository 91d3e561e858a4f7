"""UK postcode syntax: normalise `ex2 4qd` to `EX2 4QD` and take its district.

Syntax only, on the official format rules (outward code: area letters and
district; inward code: sector digit and unit letters); which postcodes we
cover is the zones' business. Case and spacing are normalised, but a space
typed between the two codes is where they meet: `EX1 11AA` is refused, never
read as `EX11 1AA`. `GIR 0AA` is the one postcode outside the rules (and the
only GIR one). Letters are A to Z only: `str.upper` would turn some others
into them (a long s into S, a sharp s into SS).
"""

import re

from django.core.exceptions import ValidationError

_OUTWARD = r"(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])"
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"^(?P<outward>{_OUTWARD})(?P<inward>{_INWARD})$")
_DISTRICT = re.compile(rf"^{_OUTWARD}$")
_TYPED = re.compile(r"[A-Za-z0-9\s]*")
GIRO = "GIR 0AA"
# A full postcode within free text, with or without its space (a district alone does not match).
POSTCODE_IN_TEXT = re.compile(rf"\b(?:{_OUTWARD})\s*{_INWARD}\b", re.IGNORECASE)

MALFORMED_POSTCODE = "Enter a real UK postcode, like EX2 4QD."
MALFORMED_DISTRICT = "Enter a postcode district, like EX2 (the first part of a postcode)."


def normalise_postcode(raw: str) -> str:
    """`ex2 4qd` -> `EX2 4QD`; raises ValidationError for anything not shaped like a postcode."""
    text = str(raw or "").strip()
    if not _TYPED.fullmatch(text):
        raise ValidationError(MALFORMED_POSTCODE, code="malformed_postcode")
    parts = text.upper().split()
    if len(parts) == 2:
        outward, inward = parts
        if not re.fullmatch(_INWARD, inward) and f"{outward} {inward}" != GIRO:
            raise ValidationError(
                f"The part after the space, {inward}, must be a digit and two letters, like "
                "4QD: enter a real UK postcode, like EX2 4QD.",
                code="malformed_postcode",
            )
        compact = outward + inward
    elif len(parts) == 1:
        compact = parts[0]
    else:
        raise ValidationError(MALFORMED_POSTCODE, code="malformed_postcode")
    if compact == GIRO.replace(" ", ""):
        return GIRO
    match = _POSTCODE.match(compact)
    if not match:
        raise ValidationError(MALFORMED_POSTCODE, code="malformed_postcode")
    return f"{match['outward']} {match['inward']}"


def postcode_district(postcode: str) -> str:
    """The outward code of a postcode (normalised first): `EX2 4QD` -> `EX2`."""
    return normalise_postcode(postcode).split(" ")[0]


def normalise_district(raw: str) -> str:
    """`ex2` -> `EX2`; raises ValidationError unless it is a valid outward code."""
    text = str(raw or "")
    district = re.sub(r"\s+", "", text).upper()
    if not _TYPED.fullmatch(text) or not _DISTRICT.match(district):
        raise ValidationError(MALFORMED_DISTRICT, code="malformed_district")
    return district


def district_sort_key(district: str):
    """Order districts as people read them: EX2 before EX10."""
    match = re.match(r"^([A-Z]+)(\d+)(.*)$", district)
    if not match:
        return (district, 0, "")
    return (match[1], int(match[2]), match[3])
