from django.apps import AppConfig


class BrokerageConfig(AppConfig):
    """The project package: settings, root URLs, the Celery app, health, navigation and
    `run_everything`. An app only for its management command and the history of its
    migrations: the models it once held live in brokering and notifications."""

    name = "brokerage"
    verbose_name = "Brokerage service"
