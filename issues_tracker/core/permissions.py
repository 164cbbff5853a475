"""Access rules, in one place: who may see and change what."""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user

from ..accounts.models import User
from ..issues.models import Issue


def staff_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            from .extensions import login_manager

            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            from .extensions import login_manager

            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def visible_issues_clause(user: User):
    """SQL condition for the issues a user may see."""
    if user.is_staff:
        return sa.true()
    return sa.or_(
        Issue.triage_state == "published",
        Issue.organisation_id == user.organisation_id,
    )


def can_view_issue(user: User, issue: Issue) -> bool:
    return user.is_staff or issue.triage_state == "published" or (
        issue.organisation_id == user.organisation_id
    )


def can_edit_issue(user: User, issue: Issue) -> bool:
    return user.is_staff
