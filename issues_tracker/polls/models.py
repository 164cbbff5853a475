"""Forum polls, their questions, and one response per person."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..core.extensions import db
from ..core.models import Line, Prose, UTCDateTime, utcnow


class Poll(db.Model):
    __tablename__ = "poll"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    meeting_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("meeting.id"), index=True)
    title: so.Mapped[str] = so.mapped_column(Line(200))
    intro: so.Mapped[str] = so.mapped_column(Prose, default="")
    # draft | open | closed
    state: so.Mapped[str] = so.mapped_column(Line(10), default="draft")
    closes_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    seed_key: so.Mapped[str | None] = so.mapped_column(Line(60), unique=True)
    # Bumped on every save: a save based on an older version is refused as a conflict.
    version: so.Mapped[int] = so.mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}

    questions: so.Mapped[list[PollQuestion]] = so.relationship(
        back_populates="poll", cascade="all, delete-orphan", order_by="PollQuestion.position"
    )

    def is_open(self, now: datetime | None = None) -> bool:
        if self.state != "open":
            return False
        return self.closes_at is None or (now or utcnow()) < self.closes_at


class PollQuestion(db.Model):
    __tablename__ = "poll_question"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    poll_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    position: so.Mapped[int] = so.mapped_column()
    text: so.Mapped[str] = so.mapped_column(Prose)
    # choice | rating | text
    kind: so.Mapped[str] = so.mapped_column(Line(10))
    required: so.Mapped[bool] = so.mapped_column(default=True)
    # For choice questions: the options; for ratings: labels "1=...", one per line.
    options: so.Mapped[str] = so.mapped_column(Prose, default="")

    poll: so.Mapped[Poll] = so.relationship(back_populates="questions")

    @property
    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]


class PollResponse(db.Model):
    __tablename__ = "poll_response"
    __table_args__ = (sa.UniqueConstraint("poll_id", "user_id", name="uq_poll_response_poll_user"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    poll_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("poll.id", ondelete="CASCADE"), index=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("user_account.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    answers: so.Mapped[list[PollAnswer]] = so.relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class PollAnswer(db.Model):
    __tablename__ = "poll_answer"
    __table_args__ = (
        sa.UniqueConstraint("response_id", "question_id", name="uq_poll_answer_response_question"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    response_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("poll_response.id", ondelete="CASCADE"), index=True
    )
    question_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("poll_question.id", ondelete="CASCADE"), index=True
    )
    choice: so.Mapped[str | None] = so.mapped_column(Line(200))
    rating: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger)
    text: so.Mapped[str | None] = so.mapped_column(Prose)

    response: so.Mapped[PollResponse] = so.relationship(back_populates="answers")
