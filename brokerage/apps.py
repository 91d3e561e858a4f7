from django.apps import AppConfig


class BrokerageConfig(AppConfig):
    name = "brokerage"
    verbose_name = "Brokering"

    def ready(self):
        from . import receivers  # noqa: F401  (reacts to packages' signals)
