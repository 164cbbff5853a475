"""Signed unsubscribe links: they work without signing in and can do one thing only.

A token names the person and what to stop (an issue, a kind of change, a digest). It is
signed with the site's secret key, so it cannot be forged or pointed at someone else.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from .kinds import KIND_CODES

SALT = "unsubscribe"
SCOPES = ("issue", "kind", "digest")


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    scope: str  # issue | kind | digest
    target: str  # an issue id, a kind code, or daily/weekly


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(user_id: int, scope: str, target) -> str:
    assert scope in SCOPES
    return _serializer().dumps([user_id, scope, str(target)])


def read_token(token: str) -> Unsubscribe | None:
    if not token or len(token) > 300:
        return None
    try:
        user_id, scope, target = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or scope not in SCOPES:
        return None
    if scope == "kind" and target not in KIND_CODES:
        return None
    if scope == "digest" and target not in ("daily", "weekly"):
        return None
    if scope == "issue" and not (target.isdigit() and len(target) < 10):
        return None
    return Unsubscribe(user_id, scope, target)
