from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Providers"

    def ready(self):
        from core import panels

        from .panels import zone_contracts

        panels.register("zone", order=10, render=zone_contracts)
