"""Who may see an issue: staff see every issue; anyone else sees the published ones and those of
their own organisation (a submission awaiting triage, or one rejected)."""

from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import User
from .models import Issue


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

