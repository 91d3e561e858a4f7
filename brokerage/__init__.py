"""The brokerage project: settings, root URLs, the Celery app, and the brokering itself."""

from .celery import app as celery_app

__all__ = ("celery_app",)
