"""Questions for a forum meeting: participants ask before and during the meeting (anonymously
to other participants if they choose, never to staff) and upvote each other's; staff publish
them to the whole forum and answer them, and the answers stay on the meeting page and in its
minutes. Operations flush; the request's unit of work commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ..accounts.models import User
from ..core.extensions import db
from ..core.models import utcnow
from ..core.transaction import ConflictError, flush
from .models import Meeting, MeetingQuestion, QuestionVote

MAX_QUESTION_LENGTH = 1_000
MAX_ANSWER_LENGTH = 2_000
ASKED, PUBLISHED, REMOVED = "asked", "published", "removed"


class QuestionError(ValueError):
    """A question, vote or answer that cannot be stored; the message says why."""


@dataclass(frozen=True)
class ShownQuestion:
    """A question as one person sees it: who asked is left out where they may not know."""

    question: MeetingQuestion
    asked_by: str
    voted: bool
    own: bool

    @property
    def can_vote(self) -> bool:
        return not self.own and self.question.state == PUBLISHED


def taking_questions(meeting: Meeting, today: date) -> bool:
    """Questions are taken before the meeting and on its day."""
    return today <= meeting.meeting_date


def _visible(user: User):
    if user.is_staff:
        return MeetingQuestion.state != REMOVED
    return sa.or_(
        MeetingQuestion.state == PUBLISHED,
        sa.and_(MeetingQuestion.state == ASKED, MeetingQuestion.organisation_id == user.organisation_id),
    )


def visible_question(user: User, question_id: int) -> MeetingQuestion | None:
    return db.session.scalar(sa.select(MeetingQuestion).where(MeetingQuestion.id == question_id, _visible(user)))


def question_count(meeting: Meeting, user: User) -> int:
    """How many of the meeting's questions this person may see."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(MeetingQuestion)
        .where(MeetingQuestion.meeting_id == meeting.id, _visible(user))
    )


def questions_for(meeting: Meeting, user: User) -> list[ShownQuestion]:
    """The meeting's questions this person may see, most upvoted first (then oldest first)."""
    questions = db.session.scalars(
        sa.select(MeetingQuestion)
        .where(MeetingQuestion.meeting_id == meeting.id, _visible(user))
        .options(sa.orm.joinedload(MeetingQuestion.author), sa.orm.joinedload(MeetingQuestion.organisation))
        .order_by(MeetingQuestion.votes.desc(), MeetingQuestion.created_at, MeetingQuestion.id)
    ).all()
    voted = set(
        db.session.scalars(
            sa.select(QuestionVote.question_id).where(
                QuestionVote.user_id == user.id, QuestionVote.question_id.in_([q.id for q in questions])
            )
        )
    ) if questions else set()
    return [
        ShownQuestion(q, asked_by(q, user), q.id in voted, q.author_id == user.id)
        for q in questions
    ]


def asked_by(question: MeetingQuestion, viewer: User | None) -> str:
    """Staff and the author always see who asked; others see "Anonymous" if the author chose it."""
    named = f"{question.author.name}, {question.organisation.name}"
    if not question.anonymous:
        return named
    if viewer is not None and (viewer.is_staff or viewer.id == question.author_id):
        return f"{named} (anonymous to participants)"
    return "Anonymous"


def answered_questions(meeting: Meeting) -> list[MeetingQuestion]:
    """What goes into the minutes and the pack: published questions with their answers."""
    return db.session.scalars(
        sa.select(MeetingQuestion)
        .where(MeetingQuestion.meeting_id == meeting.id, MeetingQuestion.state == PUBLISHED,
               MeetingQuestion.answered_at.is_not(None))
        .order_by(MeetingQuestion.votes.desc(), MeetingQuestion.answered_at)
    ).all()


def _clean(text: str | None, limit: int, empty: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise QuestionError(empty)
    if len(text) > limit:
        raise QuestionError(f"{what} can be at most {limit:,} characters long.")
    return text


def ask(meeting: Meeting, user: User, body: str, *, anonymous: bool, today: date) -> MeetingQuestion:
    if not taking_questions(meeting, today):
        raise QuestionError("This meeting has taken place: it takes no more questions. Ask at the next meeting.")
    question = MeetingQuestion(
        meeting_id=meeting.id,
        author_id=user.id,
        organisation_id=user.organisation_id,
        body=_clean(body, MAX_QUESTION_LENGTH, "Write your question before sending it.", "A question"),
        anonymous=bool(anonymous),
        # Staff's own questions need no one to publish them.
        state=PUBLISHED if user.is_staff else ASKED,
    )
    db.session.add(question)
    flush()
    return question


def toggle_vote(question: MeetingQuestion, user: User) -> bool:
    """Upvote, or take the upvote back; True when the person now upvotes it. The count moves in
    the database itself, so votes cast at the same moment are all counted."""
    if question.author_id == user.id:
        raise QuestionError("You cannot upvote your own question.")
    if question.state != PUBLISHED:
        raise QuestionError("Questions can be upvoted once staff publish them to the forum.")
    existing = db.session.scalar(
        sa.select(QuestionVote).where(QuestionVote.question_id == question.id, QuestionVote.user_id == user.id)
    )
    if existing is not None:
        db.session.delete(existing)
        change = -1
    else:
        db.session.add(QuestionVote(question_id=question.id, user_id=user.id))
        change = 1
    flush()
    db.session.execute(
        sa.update(MeetingQuestion)
        .where(MeetingQuestion.id == question.id)
        .values(votes=MeetingQuestion.votes + change)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(question, ["votes"])
    return change > 0


def _check_version(question: MeetingQuestion, expected_version: int | None) -> None:
    if expected_version is not None and question.version != expected_version:
        raise ConflictError("Another member of staff changed this question while you were answering it.")


def publish(question: MeetingQuestion, *, expected_version: int | None = None) -> None:
    _check_version(question, expected_version)
    if question.state == REMOVED:
        raise QuestionError("This question was removed; it cannot be published.")
    question.state = PUBLISHED
    flush()


def answer(question: MeetingQuestion, staff: User, text: str, *, expected_version: int | None = None) -> None:
    """Answering publishes the question; answering again replaces the answer."""
    _check_version(question, expected_version)
    if question.state == REMOVED:
        raise QuestionError("This question was removed; it cannot be answered.")
    question.answer = _clean(text, MAX_ANSWER_LENGTH, "Write the answer before saving it.", "An answer")
    question.answered_by_id = staff.id
    question.answered_at = utcnow()
    question.state = PUBLISHED
    flush()


def remove(question: MeetingQuestion, *, expected_version: int | None = None) -> None:
    _check_version(question, expected_version)
    question.state = REMOVED
    flush()
