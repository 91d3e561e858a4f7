"""Display helpers for offers: the visit pattern in words."""

from django import template

from packages.models import DAYS, Purpose

register = template.Library()

DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


@register.filter
def visit_pattern(visit: dict) -> str:
    """{"days": [...], "time": "08:00", ...} as "Every day at 08:00, 45 minutes, 2 carers"."""
    days = visit["days"]
    when = "Every day" if len(days) == 7 else ", ".join(DAY_NAMES.get(d, d) for d in days)
    carers = "2 carers (double-handed)" if visit["carers"] == 2 else "1 carer"
    purpose = Purpose(visit["purpose"]).label.lower()
    return f"{when} at {visit['time']}, {visit['duration_minutes']} minutes, {carers}: {purpose}"
