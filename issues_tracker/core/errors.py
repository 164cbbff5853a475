"""Friendly error pages; never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .problems import is_api_request, problem
from .transaction import ConflictError, is_conflict

MESSAGES = {
    400: "The request could not be understood. Please check what you entered and try again.",
    403: "You do not have permission to see or change this.",
    404: "We could not find that page. It may have moved, or the address may be mistyped.",
    405: "That action is not allowed here.",
    409: "That change conflicts with the current state of the record; nothing was changed.",
    413: "What you sent is too large.",
    422: "Some of what you entered needs correcting.",
    429: "Too many attempts. Please wait a minute and try again.",
    500: "Something went wrong on our side. The team has been told; please try again.",
}


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


# Fields that are not the person's words: tokens, record versions, buttons, secrets.
NOT_INPUT = ("csrf_token", "version", "submission_token", "submit", "action", "decision", "from")


def kept_input() -> list[tuple[str, str]]:
    """What the person sent with a refused change, as (label, text), to copy into the form again:
    a conflict or an expired form loses nobody's typing."""
    if request.method != "POST":
        return []
    kept = []
    for name, value in request.form.items(multi=True):
        field = name.rsplit("-", 1)[-1]
        if field in NOT_INPUT or "password" in field or field == "code" or not value.strip():
            continue
        kept.append((field.replace("_", " ").capitalize(), value))
    return kept[:40]


def render_error(code: int, message: str | None = None):
    message = message or MESSAGES.get(code, "Something went wrong.")
    if is_api_request():
        return problem(code, message)
    if _wants_json():
        return jsonify(error=message, status=code), code
    template = "errors/_error.html" if request.headers.get("HX-Request") else "errors/error.html"
    kept = kept_input() if code in (400, 409) else []
    return render_template(template, code=code, message=message, kept=kept), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            "Your form expired or was sent from elsewhere. Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if is_api_request() and error.code == 405:
            response = render_error(405)
            response.headers["Allow"] = ", ".join(error.valid_methods or ())
            return response
        # A description given to abort() is shown; Werkzeug's stock ones are not.
        custom = error.description if error.description != type(error).description else None
        return render_error(error.code, custom)

    @app.errorhandler(ConflictError)
    def conflict_error(error: ConflictError):
        db.session.rollback()
        return render_error(409, str(error))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        if is_conflict(error):
            # A concurrent change that a view did not catch itself: still a conflict, not a fault.
            return render_error(409)
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500)
