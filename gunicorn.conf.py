"""gunicorn's settings, read from the working directory (/app in the image) at start.

The access log names the path, never the query string: a search (`?search=` on
packages takes an NHS number, a name or a postcode) must not put a person's
identity in the web server's log. It also shows the address the TLS proxy
forwarded for (X-Forwarded-For), since every request arrives from the proxy.
"""

accesslog = "-"
access_log_format = '%(h)s for=%({x-forwarded-for}i)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
