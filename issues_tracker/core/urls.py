"""Addresses of the site's pages for use outside it: calendar files, email, feeds.

They are built from the configured BASE_URL, never from the request's Host or
X-Forwarded-* headers, which a client or a misconfigured proxy can set to anything.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint: str, **values) -> str:
    """The full address of endpoint (with values) under BASE_URL; works with or without a request."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def mail_domain() -> str:
    """The host name of BASE_URL, for Message-IDs and the like."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
