"""The project package: settings, root URLs, the Celery app, health, the start page and
navigation. The work itself lives in the apps beside it (see README, "How it is built")."""

from .celery import app as celery_app

__all__ = ("celery_app",)
