"""How numbers and dates are written for people, the same on every page and message."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import dateformat, timezone


def hours_text(value) -> str:
    """Decimal hours without trailing zeros: 10.50 -> "10.5", 7.00 -> "7"; None -> ""."""
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def date_text(value) -> str:
    """A date as GOV.UK writes it, "2 Dec 2026" (settings.DATE_FORMAT); a datetime, its day
    in the UK; None -> ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, settings.DATE_FORMAT)


def datetime_text(value) -> str:
    """A moment in UK time, "2 Dec 2026, 14:05" (settings.DATETIME_FORMAT); None -> ""."""
    if value is None or value == "":
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, settings.DATETIME_FORMAT)


def pounds_text(amount) -> str:
    """£1,234.56: six-figure totals read at a glance (exports keep plain decimals)."""
    if amount is None:
        return ""
    return f"£{Decimal(amount):,.2f}"
