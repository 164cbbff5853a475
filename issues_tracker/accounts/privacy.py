"""A person's own data: everything the product holds about them, as JSON, and closing their
account. Closing removes their name and address (what they wrote then reads "Former member"),
their sign-in methods and personal settings, and keeps the industry record (issues, comments,
journal entries, poll answers) intact."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..core.extensions import db
from ..core.models import utcnow
from ..escalations.models import Escalation
from ..improvements.models import Improvement, ImprovementFollower
from ..issues.models import Issue
from ..notifications.models import Delivery, NotificationSettings, OutgoingEmail
from ..participation.models import AffectedDeclaration, Comment, Follow, SavedView
from ..polls.models import PollResponse
from .models import Passkey, PasswordReset, RecoveryCode, SsoIdentity, User, UserSession

CLOSED_NAME = "Former member"
CLOSED_DOMAIN = "closed.invalid"


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export(user: User) -> dict:
    """What the product holds about this person, in a fixed number of queries."""
    settings = db.session.get(NotificationSettings, user.id)
    follows = db.session.scalars(sa.select(Follow).where(Follow.user_id == user.id)).all()
    views = db.session.scalars(sa.select(SavedView).where(SavedView.user_id == user.id)).all()
    comments = db.session.scalars(sa.select(Comment).where(Comment.author_id == user.id).order_by(Comment.created_at)).all()
    submitted = db.session.execute(
        sa.select(Issue.id, Issue.summary, Issue.created_at).where(Issue.submitted_by_id == user.id).order_by(Issue.id)
    ).all()
    declarations = db.session.scalars(sa.select(AffectedDeclaration).where(AffectedDeclaration.declared_by_id == user.id)).all()
    responses = db.session.scalars(sa.select(PollResponse).where(PollResponse.user_id == user.id)).all()
    sessions = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)).all()
    passkeys = db.session.scalars(sa.select(Passkey).where(Passkey.user_id == user.id)).all()
    identities = db.session.scalars(sa.select(SsoIdentity).where(SsoIdentity.user_id == user.id)).all()
    proposed = db.session.execute(
        sa.select(Improvement.id, Improvement.title, Improvement.created_at)
        .where(Improvement.proposer_id == user.id).order_by(Improvement.id)
    ).all()
    following = db.session.scalars(
        sa.select(ImprovementFollower.improvement_id).where(ImprovementFollower.user_id == user.id)
        .order_by(ImprovementFollower.improvement_id)
    ).all()
    escalated = db.session.execute(
        sa.select(Escalation.id, Escalation.reference, Escalation.detail, Escalation.created_at)
        .where(Escalation.raised_by_id == user.id).order_by(Escalation.id)
    ).all()
    return {
        "exported_at": utcnow().isoformat(),
        "account": {
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "organisation": user.organisation.name,
            "organisation_admin": user.organisation_admin,
            "created_at": _when(user.created_at),
            "last_sign_in_at": _when(user.last_login_at),
            "password_changed_at": _when(user.password_changed_at),
            "authenticator_app": user.has_totp,
            "has_password": user.has_password,
        },
        "sign_in": {
            "sessions": [
                {"started_at": _when(s.created_at), "method": s.method, "device": s.user_agent, "address": s.ip_address}
                for s in sessions
            ],
            "passkeys": [
                {"name": p.name, "added_at": _when(p.created_at), "last_used_at": _when(p.last_used_at)} for p in passkeys
            ],
            "single_sign_on": [{"provider": i.provider, "linked_at": _when(i.created_at)} for i in identities],
        },
        "notification_settings": None
        if settings is None
        else {
            column.name: getattr(settings, column.key)
            for column in NotificationSettings.__table__.columns
            if column.name not in ("user_id", "feed_key")
        }
        | {"updated_at": _when(settings.updated_at), "feed_key_created_at": _when(settings.feed_key_created_at)},
        "follows": [
            {
                "issue_id": f.issue_id,
                "service": f.service,
                "saved_view_id": f.saved_view_id,
                "active": f.active,
                "since": _when(f.created_at),
            }
            for f in follows
        ],
        "saved_views": [{"id": v.id, "name": v.name, "query": v.query, "created_at": _when(v.created_at)} for v in views],
        "issues_submitted": [{"id": row.id, "summary": row.summary, "created_at": _when(row.created_at)} for row in submitted],
        "comments": [
            {"issue_id": c.issue_id, "body": c.body, "created_at": _when(c.created_at), "hidden": c.hidden_at is not None}
            for c in comments
        ],
        "affected_declarations": [
            {"issue_id": d.issue_id, "note": d.note, "meter_points": d.meter_points, "created_at": _when(d.created_at)}
            for d in declarations
        ],
        "poll_responses": [{"poll_id": r.poll_id, "answered_at": _when(r.updated_at)} for r in responses],
        "improvements_proposed": [{"id": row.id, "title": row.title, "created_at": _when(row.created_at)}
                                  for row in proposed],
        "improvements_followed": list(following),
        "escalations_raised": [{"id": row.id, "reference": row.reference, "detail": row.detail,
                                "created_at": _when(row.created_at)} for row in escalated],
    }


def close(user: User, *, now: datetime | None = None) -> None:
    """Close the account for good: anonymised, signed out everywhere, its personal settings removed."""
    from ..organisations.models import Contact

    now = now or utcnow()
    for model, column in (
        (UserSession, UserSession.user_id),
        (Passkey, Passkey.user_id),
        (RecoveryCode, RecoveryCode.user_id),
        (SsoIdentity, SsoIdentity.user_id),
        (PasswordReset, PasswordReset.user_id),
        (NotificationSettings, NotificationSettings.user_id),
        (Follow, Follow.user_id),
        (SavedView, SavedView.user_id),
        (Delivery, Delivery.user_id),
        (OutgoingEmail, OutgoingEmail.user_id),
        (Contact, Contact.user_id),
        (ImprovementFollower, ImprovementFollower.user_id),
    ):
        db.session.execute(sa.delete(model).where(column == user.id).execution_options(synchronize_session=False))
    user.name = CLOSED_NAME
    user.email = f"closed-{user.id}@{CLOSED_DOMAIN}"
    user.set_unusable_password()
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.organisation_admin = False
    user.active = False
    user.deactivated_at = user.deactivated_at or now
    user.closed_at = now
    db.session.flush()
