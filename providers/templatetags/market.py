"""Template tags for the market's pages: GOV.UK tags for ratings and statuses."""

from django import template

from ..models import CqcRating, ProviderStatus

register = template.Library()

RATING_COLOURS = {
    CqcRating.OUTSTANDING: "green",
    CqcRating.GOOD: "turquoise",
    CqcRating.REQUIRES_IMPROVEMENT: "yellow",
    CqcRating.INADEQUATE: "red",
    CqcRating.NOT_RATED: "grey",
}
STATUS_COLOURS = {
    ProviderStatus.ACTIVE: "green",
    ProviderStatus.ONBOARDING: "blue",
    ProviderStatus.SUSPENDED: "orange",
    ProviderStatus.EXITED: "grey",
}


@register.inclusion_tag("providers/includes/tag.html")
def rating_tag(provider):
    return {
        "label": provider.get_cqc_rating_display(),
        "colour": RATING_COLOURS.get(provider.cqc_rating, "grey"),
    }


@register.inclusion_tag("providers/includes/tag.html")
def status_tag(provider):
    return {
        "label": provider.get_status_display(),
        "colour": STATUS_COLOURS.get(provider.status, "grey"),
    }
