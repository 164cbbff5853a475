"""What the issue page shows of following, comments and "we are affected too", for whichever part
renders the page."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask_login import current_user

from ..core.extensions import db
from ..issues.models import Issue
from . import affected as affected_service
from . import comments as comment_service
from .forms import AffectedForm, CommentForm
from .models import Follow


@functools.cache
def _follow_state_select() -> sa.Select:
    # Built once: every issue page runs it.
    mine = sa.case((sa.and_(Follow.user_id == sa.bindparam("user_id"), Follow.active.is_(True)), 1), else_=0)
    return (
        sa.select(sa.func.coalesce(sa.func.max(mine), 0), sa.func.count(sa.case((Follow.active.is_(True), 1))))
        .where(Follow.issue_id == sa.bindparam("issue_id"))
    )


def follow_state(issue: Issue, user) -> tuple[bool, int]:
    """(whether the person follows the issue, how many people do), in one query."""
    following, count = db.session.execute(_follow_state_select(), {"user_id": user.id, "issue_id": issue.id}).one()
    return bool(following), count


def participation_context(issue: Issue, *, comment_form=None, affected_form=None, hide_forms=None) -> dict:
    """What the issue page shows of following, comments and declarations (three queries)."""
    following, followers = follow_state(issue, current_user)
    declarations = affected_service.declarations(issue)
    own = next((d for d in declarations if d.organisation_id == current_user.organisation_id), None)
    count = affected_service.count_declarations(declarations)
    if affected_form is None:
        affected_form = AffectedForm(formdata=None, obj=own) if own else AffectedForm(formdata=None)
        if own and own.meter_points is not None:
            affected_form.meter_points.data = str(own.meter_points)
    return {
        "following": following,
        "follower_count": followers,
        "comments": comment_service.comments_for(issue),
        "comment_form": comment_form or CommentForm(formdata=None),
        "hide_forms": hide_forms or {},
        "render_comment": comment_service.render_comment,
        "affected": count,
        "impact_labels": affected_service.impact_labels(issue, count),
        "declarations": declarations if current_user.is_staff else [d for d in declarations if d is own],
        "own_declaration": own,
        "affected_form": affected_form,
        "may_declare": not current_user.is_staff and issue.triage_state == "published",
    }
