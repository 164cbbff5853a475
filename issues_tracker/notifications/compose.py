"""What an email says: one change, one announcement, or a digest of many.

Built at send time from what the database says then, so an email never tells of a
comment hidden since, of an issue the person can no longer see, or of a kind of change
they have turned off since.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import User
from ..core.extensions import db
from ..core.text import clean_text
from ..core.urls import external_url, mail_domain
from ..issues.access import can_view_issue
from ..issues.fields import journal_label
from ..issues.models import Issue, IssueEvent
from ..log.contents import HEADLINES as LOG_HEADLINES
from ..log.models import PublishedLog
from ..participation.comments import render_comment
from ..participation.models import Comment, Follow
from .kinds import KIND_LABELS, kind_of
from .models import Announcement, Delivery
from .preferences import Preferences, preferences_for
from .tokens import make_token

SUBJECT_LIMIT = 150
MAIL_POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass
class Item:
    """One thing that happened, as an email line."""

    kind: str
    when: datetime
    who: str
    text: str  # plain text
    html: object = None  # Markup for a comment's body, else None (text is escaped)
    title: str = ""


@dataclass
class IssueNews:
    issue: Issue
    link: str
    items: list[Item] = field(default_factory=list)


@dataclass
class AnnouncementNews:
    kind: str
    title: str
    link: str
    when: datetime
    # A log's headline numbers as published, (label, figure), so the email says how things stand.
    headlines: tuple[tuple[str, int], ...] = ()


def _chunks(values, size=900):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


class Batch:
    """Everything a batch of deliveries refers to, loaded in a fixed number of queries."""

    def __init__(self, deliveries: list[Delivery]):
        self.deliveries = deliveries
        user_ids = {d.user_id for d in deliveries}
        self.users: dict[int, User] = {}
        for chunk in _chunks(user_ids):
            self.users.update({u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(chunk)))})
        self.prefs: dict[int, Preferences] = preferences_for(user_ids)
        event_ids = {event_id for d in deliveries for event_id in d.event_id_list}
        self.events: dict[int, IssueEvent] = {}
        for chunk in _chunks(event_ids):
            self.events.update({e.id: e for e in db.session.scalars(sa.select(IssueEvent).where(IssueEvent.id.in_(chunk)))})
        issue_ids = {d.issue_id for d in deliveries if d.issue_id}
        self.issues: dict[int, Issue] = {}
        for chunk in _chunks(issue_ids):
            self.issues.update({i.id: i for i in db.session.scalars(sa.select(Issue).where(Issue.id.in_(chunk)))})
        comment_ids = {int(e.new_value) for e in self.events.values() if e.kind == "comment" and e.new_value.isdigit()}
        self.comments: dict[int, Comment] = {}
        for chunk in _chunks(comment_ids):
            self.comments.update({c.id: c for c in db.session.scalars(sa.select(Comment).where(Comment.id.in_(chunk)))})
        announcement_ids = {d.announcement_id for d in deliveries if d.announcement_id}
        self.announcements: dict[int, Announcement] = {}
        for chunk in _chunks(announcement_ids):
            self.announcements.update({
                a.id: a for a in db.session.scalars(sa.select(Announcement).where(Announcement.id.in_(chunk)))
            })
        self.muted: set[tuple[int, int]] = set()
        for chunk in _chunks(user_ids):
            self.muted |= set(tuple(row) for row in db.session.execute(
                sa.select(Follow.user_id, Follow.issue_id).where(
                    Follow.user_id.in_(chunk), Follow.issue_id.in_(issue_ids or {0}), Follow.active.is_(False)
                )
            ).all())
        self.logs = {}
        log_ids = {a.published_log_id for a in self.announcements.values() if a.published_log_id}
        if log_ids:
            self.logs = {
                log.id: log for log in db.session.scalars(sa.select(PublishedLog).where(PublishedLog.id.in_(log_ids)))
            }

    # ------------------------------------------------------------ what one delivery says

    def issue_items(self, delivery: Delivery) -> list[Item]:
        """The lines of an issue change this person may still be told; [] if none."""
        user = self.users.get(delivery.user_id)
        issue = self.issues.get(delivery.issue_id)
        if user is None or not user.active or issue is None or not can_view_issue(user, issue):
            return []
        if (user.id, issue.id) in self.muted:
            return []
        prefs = self.prefs[user.id]
        wanted = {kind for kind in delivery.kind_list if prefs.modes.get(kind, "off") != "off"}
        items = []
        for event_id in delivery.event_id_list:
            event = self.events.get(event_id)
            if event is None:
                continue
            kind = kind_of(event)
            if kind not in wanted:
                continue
            item = self._item(event, kind)
            if item is not None:
                items.append(item)
        return items

    def _item(self, event: IssueEvent, kind: str) -> Item | None:
        who = _person(event.user)
        if kind == "comment":
            comment = self.comments.get(int(event.new_value)) if event.new_value.isdigit() else None
            if comment is None or comment.hidden:
                return None
            return Item(kind, event.created_at, who, comment.body, html=render_comment(comment.body),
                        title=f"{who} commented")
        if event.kind == "triage":
            return Item(kind, event.created_at, who, event.note, title="Triage")
        if event.kind == "note":
            return Item(kind, event.created_at, who, event.note, title="Progress note")
        label = journal_label(event.field)
        old, new = event.old_value or "(blank)", event.new_value or "(blank)"
        return Item(kind, event.created_at, who, f"{old} → {new}", title=label)

    def announcement_news(self, delivery: Delivery) -> AnnouncementNews | None:
        user = self.users.get(delivery.user_id)
        announcement = self.announcements.get(delivery.announcement_id)
        if user is None or not user.active or announcement is None:
            return None
        if self.prefs[user.id].modes.get(announcement.kind, "off") == "off":
            return None
        if announcement.kind == "log":
            log = self.logs.get(announcement.published_log_id)
            if log is None:
                return None
            link = external_url("log.week_pdf", week=log.week_commencing.isoformat())
            headlines = tuple(
                (label, getattr(log, column)) for column, label in LOG_HEADLINES if getattr(log, column) is not None
            )
            return AnnouncementNews(announcement.kind, announcement.title, link, announcement.created_at, headlines)
        else:
            from ..polls.models import Poll

            poll = db.session.get(Poll, announcement.poll_id)
            if poll is None or poll.state == "draft":
                return None
            link = external_url("polls.show", poll_id=poll.id)
        return AnnouncementNews(announcement.kind, announcement.title, link, announcement.created_at)


def _person(user: User | None) -> str:
    if user is None:
        return "Service management"
    return f"{user.display_name} ({user.organisation.name})"


# ---------------------------------------------------------------- messages


def header_text(value: str, limit: int | None = None) -> str:
    """Any stored text as an email header's value: one line, nothing a header may not hold, at
    most `limit` characters. A header built from a participant's words can never break a message."""
    text = " ".join(clean_text(value or "", single_line=True).split())
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _message(user: User, subject: str, text: str, html: str, *, message_id: str, unsubscribe: str,
             thread: str | None, now: datetime) -> EmailMessage:
    # Headers stay on one line up to RFC 5322's 998 characters instead of being folded at 78.
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = formataddr((header_text(user.name or ""), user.email))
    message["Subject"] = header_text(subject, SUBJECT_LIMIT)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    if thread:
        message["References"] = thread
        message["In-Reply-To"] = thread
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def _render(name: str, **context) -> tuple[str, str]:
    """The email's plain-text and HTML bodies, from notifications/email/<name>.txt and .html."""
    return tuple(current_app.jinja_env.get_template(f"notifications/email/{name}.{kind}").render(**context)
                 for kind in ("txt", "html"))


def _common(user: User, unsubscribe: str, tz) -> dict:
    return {
        "user": user,
        "unsubscribe_url": unsubscribe,
        "settings_url": external_url("notifications.settings"),
        "zone": tz,
    }


HEADLINES = {
    "status": "status changed",
    "resolution": "resolution updated",
    "next_run": "next settlement run answer changed",
    "note": "progress note",
    "comment": "new comment",
}


def change_message(batch: Batch, delivery: Delivery, items: list[Item], now: datetime) -> EmailMessage:
    user, issue = batch.users[delivery.user_id], batch.issues[delivery.issue_id]
    prefs = batch.prefs[user.id]
    status_item = next((item for item in items if item.kind == "status" and "→" in item.text), None)
    if status_item is not None:
        headline = f"now {status_item.text.split('→', 1)[1].strip()}"
    else:
        headline = HEADLINES[items[0].kind]
    subject = f"[{issue.reference}] {headline}: {issue.summary}"
    unsubscribe = external_url("notifications.unsubscribe", token=make_token(user.id, "issue", issue.id))
    news = IssueNews(issue, external_url("issues.detail", issue_id=issue.id), items)
    context = {**_common(user, unsubscribe, prefs.zone), "news": news, "kind_labels": KIND_LABELS,
               "reason": "you follow this issue"}
    return _message(
        user, subject, *_render("change", **context),
        message_id=f"<delivery-{delivery.id}@{mail_domain()}>", unsubscribe=unsubscribe,
        thread=f"<issue-{issue.id}@{mail_domain()}>", now=now,
    )


def announcement_message(batch: Batch, delivery: Delivery, news: AnnouncementNews, now: datetime) -> EmailMessage:
    user = batch.users[delivery.user_id]
    prefs = batch.prefs[user.id]
    unsubscribe = external_url("notifications.unsubscribe", token=make_token(user.id, "kind", news.kind))
    context = {**_common(user, unsubscribe, prefs.zone), "news": news, "kind_label": KIND_LABELS[news.kind]}
    return _message(
        user, news.title, *_render("announcement", **context),
        message_id=f"<delivery-{delivery.id}@{mail_domain()}>", unsubscribe=unsubscribe, thread=None, now=now,
    )


def digest_message(batch: Batch, user_id: int, mode: str, deliveries: list[Delivery], now: datetime) -> EmailMessage | None:
    """One email for a person's daily or weekly digest, grouped by issue; None if nothing is left to tell."""
    user = batch.users.get(user_id)
    if user is None or not user.active:
        return None
    by_issue: dict[int, IssueNews] = {}
    announcements: list[AnnouncementNews] = []
    for delivery in sorted(deliveries, key=lambda d: d.id):
        if delivery.announcement_id:
            news = batch.announcement_news(delivery)
            if news is not None:
                announcements.append(news)
            continue
        items = batch.issue_items(delivery)
        if not items:
            continue
        issue = batch.issues[delivery.issue_id]
        entry = by_issue.get(issue.id)
        if entry is None:
            entry = by_issue[issue.id] = IssueNews(issue, external_url("issues.detail", issue_id=issue.id))
        entry.items += items
    if not by_issue and not announcements:
        return None
    issues = sorted(by_issue.values(), key=lambda news: max(item.when for item in news.items), reverse=True)
    changes = sum(len(news.items) for news in issues)
    period = "Daily" if mode == "daily" else "Weekly"
    parts = []
    if changes:
        parts.append(f"{changes} update{'s' if changes != 1 else ''} on {len(issues)} issue{'s' if len(issues) != 1 else ''}")
    if announcements:
        parts.append(" and ".join(sorted({"a new issues log" if a.kind == "log" else "a new poll" for a in announcements})))
    subject = f"{period} digest: {', '.join(parts)}"
    prefs = batch.prefs[user.id]
    unsubscribe = external_url("notifications.unsubscribe", token=make_token(user.id, "digest", mode))
    context = {**_common(user, unsubscribe, prefs.zone), "issues": issues, "announcements": announcements,
               "period": period, "mode": mode, "kind_labels": KIND_LABELS}
    lead = min(d.id for d in deliveries)
    return _message(
        user, subject, *_render("digest", **context),
        message_id=f"<digest-{lead}@{mail_domain()}>", unsubscribe=unsubscribe, thread=None, now=now,
    )


def group_by_person(deliveries: list[Delivery]) -> dict[tuple[int, str], list[Delivery]]:
    groups: dict[tuple[int, str], list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        groups[(delivery.user_id, delivery.mode)].append(delivery)
    return groups
