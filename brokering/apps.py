from django.apps import AppConfig


class BrokeringConfig(AppConfig):
    name = "brokering"
    verbose_name = "Brokering"

    def ready(self):
        from core import panels

        from . import receivers  # noqa: F401  (reacts to packages' signals)
        from .panels import package_offers, zone_rota

        panels.register("package", order=10, render=package_offers)
        # Before the zone's providers: how the rota between two of them is going.
        panels.register("zone", order=5, render=zone_rota)
