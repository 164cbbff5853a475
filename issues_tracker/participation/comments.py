"""Comments on issues: written in plain text or a little Markdown, shown sanitised;
staff can hide one with a reason (journalled), and restore it."""

from __future__ import annotations

from datetime import datetime
from functools import cache, lru_cache

import nh3
import sqlalchemy as sa
from markdown_it import MarkdownIt
from markupsafe import Markup

from ..accounts.models import User
from ..core.extensions import db
from ..core.models import utcnow
from ..issues.models import Issue, IssueEvent
from .follows import follow_issue
from .models import Comment

MAX_COMMENT_LENGTH = 5_000
ALLOWED_TAGS = {"p", "br", "strong", "em", "code", "pre", "ul", "ol", "li", "blockquote", "a"}


class CommentError(ValueError):
    """A comment that cannot be stored or changed; the message says why."""


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # Paragraphs, line breaks, emphasis, code, lists, quotes and links; no raw HTML,
    # images or headings. nh3 then keeps only the tags and link schemes listed here.
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).disable(
        ["image", "heading", "lheading", "html_block", "html_inline", "hr"]
    )


def render_comment(text: str) -> Markup:
    html = _markdown().render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(clean)  # noqa: S704 (sanitised by nh3 just above)


@cache
def _comments_select() -> sa.Select:
    # Built once: every issue page runs it.
    return sa.select(Comment).where(Comment.issue_id == sa.bindparam("issue_id")).order_by(Comment.created_at, Comment.id)


def comments_for(issue: Issue) -> list[Comment]:
    return db.session.scalars(_comments_select(), {"issue_id": issue.id}).all()


def clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise CommentError("Write a comment before posting it.")
    if len(body) > MAX_COMMENT_LENGTH:
        raise CommentError(f"A comment can be at most {MAX_COMMENT_LENGTH:,} characters long (this one has {len(body):,}).")
    return body


def add_comment(issue: Issue, user: User, body: str, *, now: datetime | None = None) -> Comment:
    """Post a comment; the author follows the issue from now on. The caller commits."""
    now = now or utcnow()
    comment = Comment(issue_id=issue.id, author_id=user.id, body=clean_body(body), created_at=now, hidden_reason="")
    db.session.add(comment)
    db.session.flush()
    # The journal entry is also the notification's outbox record.
    db.session.add(IssueEvent(
        issue_id=issue.id, user_id=user.id, created_at=now, kind="comment", field="comment", new_value=str(comment.id),
    ))
    follow_issue(user, issue, reason="commented", now=now)
    db.session.flush()
    return comment


def hide_comment(comment: Comment, staff: User, reason: str, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise CommentError("Say why the comment is hidden; everyone who can see the issue will read the reason.")
    if len(reason) > 500:
        raise CommentError("The reason must be at most 500 characters long.")
    if comment.hidden:
        raise CommentError("That comment is hidden already.")
    comment.hidden_at = now
    comment.hidden_by_id = staff.id
    comment.hidden_reason = reason
    author = comment.author.display_name if comment.author else "a former account"
    db.session.add(IssueEvent(
        issue_id=comment.issue_id, user_id=staff.id, created_at=now, kind="moderation", field="comment",
        old_value=str(comment.id), new_value="hidden", note=f"Hid a comment by {author}: {reason}",
    ))
    db.session.flush()


def restore_comment(comment: Comment, staff: User, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not comment.hidden:
        raise CommentError("That comment is not hidden.")
    comment.hidden_at = None
    comment.hidden_by_id = None
    comment.hidden_reason = ""
    author = comment.author.display_name if comment.author else "a former account"
    db.session.add(IssueEvent(
        issue_id=comment.issue_id, user_id=staff.id, created_at=now, kind="moderation", field="comment",
        old_value=str(comment.id), new_value="shown", note=f"Restored a comment by {author}",
    ))
    db.session.flush()
