from django.apps import AppConfig


class BrokeringConfig(AppConfig):
    name = "brokering"
    verbose_name = "Brokering"

    def ready(self):
        from . import receivers  # noqa: F401  (reacts to packages' signals)
