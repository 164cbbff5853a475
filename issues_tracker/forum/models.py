"""Service Management Forum meetings, their agenda and the forum actions log."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow


class Meeting(db.Model):
    __tablename__ = "meeting"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    meeting_date: so.Mapped[date] = so.mapped_column(sa.Date, unique=True)
    title: so.Mapped[str] = so.mapped_column(Line(200), default="Service Management Forum")
    chair: so.Mapped[str] = so.mapped_column(Line(120), default="")
    # Local (Europe/London) start and end times, "HH:MM".
    start_time: so.Mapped[str] = so.mapped_column(Line(5), default="10:00")
    end_time: so.Mapped[str] = so.mapped_column(Line(5), default="12:00")
    recording_url: so.Mapped[str] = so.mapped_column(Line(500), default="")
    minutes: so.Mapped[str] = so.mapped_column(Prose, default="")
    # Bumped on every save: a save based on an older version is refused as a conflict.
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    agenda_items: so.Mapped[list[AgendaItem]] = so.relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.number"
    )


class AgendaItem(db.Model):
    __tablename__ = "agenda_item"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    meeting_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    number: so.Mapped[int] = so.mapped_column()
    topic: so.Mapped[str] = so.mapped_column(Line(200))
    presenter: so.Mapped[str] = so.mapped_column(Line(120), default="")

    meeting: so.Mapped[Meeting] = so.relationship(back_populates="agenda_items")


class ForumAction(db.Model):
    """An action from the forum's actions log, numbered SMF-n."""

    __tablename__ = "forum_action"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    number: so.Mapped[int] = so.mapped_column(unique=True)
    description: so.Mapped[str] = so.mapped_column(Prose)
    owner_name: so.Mapped[str] = so.mapped_column(Line(120))
    date_raised: so.Mapped[date] = so.mapped_column(sa.Date)
    status: so.Mapped[str] = so.mapped_column(Line(20), default="Open", index=True)
    meeting_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("meeting.id"), index=True)
    issue_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("issue.id"), index=True)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    meeting: so.Mapped[Meeting | None] = so.relationship()
    # Bumped on every save: a save based on an older version is refused as a conflict.
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    updates: so.Mapped[list[ForumActionUpdate]] = so.relationship(
        back_populates="action",
        cascade="all, delete-orphan",
        order_by="ForumActionUpdate.created_at.desc(), ForumActionUpdate.id.desc()",
    )

    @property
    def code(self) -> str:
        return f"SMF-{self.number}"


class ForumActionUpdate(db.Model):
    __tablename__ = "forum_action_update"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    action_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_action.id", ondelete="CASCADE"), index=True
    )
    user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    text: so.Mapped[str] = so.mapped_column(Prose, default="")
    old_status: so.Mapped[str] = so.mapped_column(Line(20), default="")
    new_status: so.Mapped[str] = so.mapped_column(Line(20), default="")

    action: so.Mapped[ForumAction] = so.relationship(back_populates="updates")


class MeetingPack(db.Model):
    """A forum meeting's pack: the last PDF rendered, and the state of the latest render."""

    __tablename__ = "meeting_pack"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    meeting_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), unique=True)
    # rendering | ready | failed
    state: so.Mapped[str] = so.mapped_column(Line(12), default="rendering")
    progress: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)
    message: so.Mapped[str] = so.mapped_column(Line(500), default="")
    started_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    # What the stored PDF shows: a digest of its figures, so a change of data renders it again.
    contents_digest: so.Mapped[str] = so.mapped_column(Line(64), default="")
    rendered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    sha256: so.Mapped[str] = so.mapped_column(Line(64), default="")
    size_bytes: so.Mapped[int] = so.mapped_column(default=0)
    pdf: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary, deferred=True)


class MeetingQuestion(db.Model):
    """A question put to a forum meeting. Seen by its organisation and staff until staff publish it
    (answering publishes it too); a question asked anonymously hides its author from everyone but
    staff and the author."""

    __tablename__ = "meeting_question"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    meeting_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    organisation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organisation.id"), index=True)
    body: so.Mapped[str] = so.mapped_column(Prose)
    anonymous: so.Mapped[bool] = so.mapped_column(default=False)
    # asked | published | removed; an answered question is published with an answer.
    state: so.Mapped[str] = so.mapped_column(Line(12), default="asked")
    votes: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    answer: so.Mapped[str] = so.mapped_column(Prose, default="")
    answered_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("user_account.id"))
    answered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    # Bumped on every change by staff: an answer based on an older version is refused as a conflict.
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    author = so.relationship("User", foreign_keys=[author_id])
    organisation = so.relationship("Organisation")

    @property
    def answered(self) -> bool:
        return bool(self.answered_at)


class QuestionVote(db.Model):
    """One person's upvote of a question: at most one each."""

    __tablename__ = "question_vote"
    __table_args__ = (sa.UniqueConstraint("question_id", "user_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    question_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("meeting_question.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
