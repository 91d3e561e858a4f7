"""Free text that providers read before a package is placed with them: kept free of identity.

A package's `needs` goes out with every offer, to providers who must not yet
know who the person is. So it may not hold the person's name, NHS number,
date of birth or address, any full postcode or NHS number, or a key safe code.
`identifiers_in` finds them; the referral is refused with a message naming
what to take out (`check_needs`), and an offer withholds text saved before this
check existed (`safe_to_offer`).
"""

import datetime
import re

from django.core.exceptions import ValidationError

from zones.postcodes import POSTCODE_IN_TEXT

from .models import PERSON_IDENTITY
from .nhs import is_valid_nhs_number

WHAT_NOT_TO_WRITE = (
    "Providers read this before the package is placed with them: do not write the "
    "person's name, NHS number, date of birth, address, postcode or key safe code."
)
# Ten digits, grouped as people write them (943 476 5919, 943-476-5919, 9434765919).
_TEN_DIGITS = re.compile(r"(?<!\d)\d(?:[\s-]?\d){9}(?!\d)")
_KEY_SAFE = re.compile(r"\bkey\s*-?\s*safe\b\D{0,20}\d{3,}", re.IGNORECASE)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def identifiers_in(text: str, person: dict) -> list[str]:
    """What in `text` identifies the person (by its name: "family name", "postcode", ...).

    `person` holds the person's fields (nhs_number, given_name, family_name,
    date_of_birth, address_line, postcode), any of which may be missing.
    """
    text = " ".join(str(text or "").split())
    if not text:
        return []
    found = []
    for label, words in (
        ("given name", person.get("given_name")),
        ("family name", person.get("family_name")),
    ):
        if _has_words(text, words):
            found.append(label)
    if _has_nhs_number(text, person.get("nhs_number")):
        found.append("NHS number")
    born = person.get("date_of_birth")
    if isinstance(born, datetime.date) and any(_has_words(text, d) for d in _date_forms(born)):
        found.append("date of birth")
    if any(_has_words(text, part) for part in _address_parts(person.get("address_line"))):
        found.append("address")
    if POSTCODE_IN_TEXT.search(text):
        found.append("postcode")
    if _KEY_SAFE.search(text):
        found.append("key safe code")
    return found


def check_needs(needs: str, person: dict) -> None:
    """Raise ValidationError (for the `needs` field) when the text identifies the person."""
    found = identifiers_in(needs, person)
    if found:
        raise ValidationError(
            f"Take out the {_listed(found)}: providers read this before the package is "
            "placed with them. Describe the care and skills needed without them.",
            code="identifying_needs",
        )


def safe_to_offer(package) -> str:
    """The package's needs as an offer may show them: empty if they identify the person."""
    person = package.person
    details = {field: getattr(person, field) for field in PERSON_IDENTITY}
    return "" if identifiers_in(package.needs, details) else package.needs


def _has_words(text: str, words) -> bool:
    """Whether `words` appear in `text` as whole words, ignoring case and spacing."""
    words = " ".join(str(words or "").split())
    if len(words) < 2:
        return False
    pattern = r"\s+".join(re.escape(word) for word in words.split(" "))
    return re.search(rf"(?<!\w){pattern}(?!\w)", text, re.IGNORECASE) is not None


def _has_nhs_number(text: str, own) -> bool:
    """The person's NHS number, or any ten digits that pass the NHS check (someone's)."""
    for match in _TEN_DIGITS.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if digits == own or is_valid_nhs_number(digits):
            return True
    return False


def _date_forms(day: datetime.date) -> list[str]:
    """The ways people write a date: 2/3/1951, 02/03/1951, 2.3.1951, 1951-03-02, 2 March 1951."""
    d, m, y = day.day, day.month, day.year
    month = _MONTHS[m - 1]
    numeric = [f"{d}/{m}/{y}", f"{d:02d}/{m:02d}/{y}", f"{d}.{m}.{y}", f"{d:02d}.{m:02d}.{y}"]
    numeric += [f"{d}-{m}-{y}", f"{d:02d}-{m:02d}-{y}", day.isoformat()]
    return [*numeric, f"{d} {month} {y}", f"{d} {month[:3]} {y}", f"{month} {d} {y}"]


def _address_parts(address_line) -> list[str]:
    """The parts of an address that point at a home: the whole line, and each part before
    the town (with and without its house number): "9 Quiet Close" and "Quiet Close"."""
    line = " ".join(str(address_line or "").split())
    if not line:
        return []
    parts = [part.strip() for part in line.split(",") if part.strip()]
    street_parts = parts[:-1] if len(parts) > 1 else parts
    found = [line]
    for part in street_parts:
        found.append(part)
        without_number = re.sub(r"^\d+\w?\s+", "", part)
        if without_number != part and " " in without_number:
            found.append(without_number)
    return found


def _listed(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
