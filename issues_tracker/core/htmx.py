"""Fragment-or-page rendering for htmx requests."""

from __future__ import annotations

from flask import make_response, render_template
from htmx_flask import request


def wants_fragment() -> bool:
    """A real htmx request that is neither boosted nor a history restore."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def render_page_or_fragment(page_template: str, fragment_template: str, **context):
    template = fragment_template if wants_fragment() else page_template
    response = make_response(render_template(template, **context))
    response.headers["Vary"] = "HX-Request"
    return response
