from django import template

register = template.Library()

MODE_COLOURS = {"rota": "purple", "cascade": "blue", "broadcast": "turquoise"}


@register.filter
def districts(zone):
    """A zone's districts in reading order, from its prefetched rows: "EX1, EX2, EX10"."""
    return ", ".join(zone.postcode_districts)


@register.inclusion_tag("zones/includes/mode_tag.html")
def mode_tag(zone):
    return {
        "label": zone.get_allocation_mode_display().split(" (")[0],
        "colour": MODE_COLOURS.get(zone.allocation_mode, "grey"),
    }
