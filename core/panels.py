"""Panels that apps add to another app's page, without that app knowing them.

The package page shows brokering's offers and invoicing's planned against
delivered care; the zone page shows the providers contracted in it. Each app
above registers its panel from its AppConfig.ready: a function of the request
and the page's object answering HTML. The page renders what is registered for
it, in order, and imports none of those apps, so the arrows keep pointing down.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.safestring import SafeString


@dataclass(frozen=True)
class Panel:
    order: int
    render: Callable[..., SafeString]


_pages: dict[str, list[Panel]] = defaultdict(list)


def register(page: str, *, order: int, render: Callable[..., SafeString]) -> None:
    """Show `render(request, obj)` on every `page` ("package", "zone"), sorted by `order`."""
    panels = _pages[page]
    if all(panel.render is not render for panel in panels):
        panels.append(Panel(order, render))
        panels.sort(key=lambda panel: panel.order)


def rendered(page: str, request, obj) -> list[SafeString]:
    return [panel.render(request, obj) for panel in _pages[page]]
