"""Helpers of the tests of reused pages (core.fresh): work committed by another connection,
and a browser that holds its CSRF cookie.

Those tests commit (transaction=True): inside a test's transaction no page is reused.
"""

import threading

from django.conf import settings
from django.db import connections
from django.test import Client


def committed_elsewhere(work):
    """Run `work` in a thread of its own: its own connection, committing on its own, as
    another request or the worker would."""

    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def signed_in(user):
    """A browser signed in as `user` that holds its CSRF cookie (a page's first answer sets
    it, and it is part of what a page is kept under)."""
    client = Client()
    client.force_login(user)
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32
    return client
