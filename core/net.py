"""The client's address, behind the TLS proxies the README asks for.

Behind a proxy every request comes from the proxy's address, so lockout,
throttling and the access log keyed on REMOTE_ADDR would put every user in one
bucket: five bad tries by anyone would lock finance out for everyone.
TRUSTED_PROXY_COUNT says how many proxies of ours stand in front of the app;
each appends the address it received from to X-Forwarded-For, so the client is
that many entries from the right (entries further left are whatever the client
sent, and are never believed). With no proxy (0) it is REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The address of the client that made `request`, or None when it is not an address."""
    address = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            entry.strip()
            for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if entry.strip()
        ]
        if forwarded:
            address = forwarded[-min(count, len(forwarded))]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None
