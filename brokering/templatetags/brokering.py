"""Display helpers for offers: the visit pattern in words."""

from django import template

from packages.models import visit_in_words

register = template.Library()


@register.filter
def visit_pattern(visit: dict) -> str:
    """{"days": [...], "time": "08:00", ...} as "Every day at 08:00, 45 minutes, 2 carers"."""
    return visit_in_words(
        days=visit["days"],
        time=visit["time"],
        minutes=visit["duration_minutes"],
        carers=visit["carers"],
        purpose=visit["purpose"],
    )
