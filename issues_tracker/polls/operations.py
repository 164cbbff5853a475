"""Forum polls: building, opening and closing them, one response per person, results.

The rules for a valid answer live in clean_answer(), which both the response
form and record_response() call, so the CLI, the views and the tests agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.transaction import ConflictError, flush, savepoint
from ..notifications.models import Announcement
from .models import Poll, PollAnswer, PollQuestion, PollResponse

MAX_QUESTIONS = 30
MAX_TEXT_ANSWER = 5_000
MAX_OPTION_LENGTH = 200  # PollAnswer.choice holds the chosen option's text
RESPONSE_ATTEMPTS = 3


class PollError(ValueError):
    """A change to a poll that cannot be carried out; the message says why."""


class PollClosedError(PollError):
    """The poll takes no responses (a draft, closed by hand, or past its close time)."""


class QuestionError(PollError):
    """A question as staff wrote it that cannot be asked; field names the part at fault."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


class AnswerError(ValueError):
    """One answer that is not acceptable for its question."""


class ResponseRejected(PollError):
    """Some answers were not acceptable; nothing was stored."""

    def __init__(self, errors: dict[int, str], form_errors: list[str]):
        super().__init__("Some answers need correcting.")
        self.errors = errors
        self.form_errors = form_errors


@dataclass
class QuestionSpec:
    text: str
    kind: str
    required: bool = True
    options: list[str] = field(default_factory=list)


# The pack's feedback poll, run at the end of every forum.
STANDARD_FEEDBACK_QUESTIONS = [
    QuestionSpec(
        "Now that the Issues Log is being produced weekly, and recognising, content and access will "
        "improve over the coming months, is this meeting your immediate needs?",
        "choice", True, ["Yes", "Partially", "No"],
    ),
    # Asked of those who answered Partially or No, so it cannot be required of everyone.
    QuestionSpec("If not, please highlight any immediate changes you would like to see?", "text", False),
    QuestionSpec("Do these monthly sessions provide the right level of insight and value?",
                 "choice", True, ["Yes", "Partially", "No"]),
    QuestionSpec("How can we make these sessions more valuable and effective for you?", "text", False),
]
STANDARD_FEEDBACK_INTRO = (
    "To ensure these sessions continue to mature and deliver impact, we value your feedback to help us "
    "improve in line with your expectations. Tell us what's working. Tell us what's not. We're here to improve."
)


# ---------------------------------------------------------------- questions and answers


def poll_status(poll: Poll, now: datetime | None = None) -> str:
    """draft, open or closed — a poll past its close time counts as closed."""
    if poll.state == "draft":
        return "draft"
    return "open" if poll.is_open(now) else "closed"


def can_view_poll(user: User, poll: Poll) -> bool:
    return user.is_staff or poll.state != "draft"


def split_lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


RATING_LINE = re.compile(r"^([1-5])\s*(?:[=:\-–.)]\s*(.*))?$")


def parse_rating_labels(text: str) -> dict[int, str]:
    """Labels for a 1–5 rating, one per line ("3 = Meets Expectations"); blank gives the standard ones."""
    labels = dict(choices.DEFAULT_RATING_LABELS)
    for line in split_lines(text):
        match = RATING_LINE.match(line)
        if not match:
            raise PollError(f'“{line[:40]}” is not a rating label. Write one per line, e.g. “3 = Meets Expectations”.')
        number, label = int(match.group(1)), (match.group(2) or "").strip()
        labels[number] = f"{number} = {label}" if label else str(number)
    return labels


def rating_labels(question: PollQuestion) -> dict[int, str]:
    try:
        return parse_rating_labels(question.options)
    except PollError:
        return dict(choices.DEFAULT_RATING_LABELS)


def check_question(spec: QuestionSpec) -> str:
    """Validate one question as staff wrote it; return its options as stored."""
    if not spec.text.strip():
        raise QuestionError("Write the question.", "text")
    if len(spec.text) > 1_000:
        raise QuestionError("Keep the question under 1,000 characters.", "text")
    if spec.kind == "choice":
        options = [option.strip() for option in spec.options if option.strip()]
        if len(options) < 2:
            raise QuestionError(
                "A single-choice question needs at least two options, one per line (e.g. Yes, Partially, No).", "options"
            )
        if len({option.lower() for option in options}) != len(options):
            raise QuestionError("Each option must be different.", "options")
        if any(len(option) > MAX_OPTION_LENGTH for option in options):
            raise QuestionError(f"Keep each option under {MAX_OPTION_LENGTH} characters.", "options")
        return "\n".join(options)
    if spec.kind == "rating":
        try:
            labels = parse_rating_labels("\n".join(spec.options))
        except PollError as exc:
            raise QuestionError(str(exc), "options") from None
        if labels == choices.DEFAULT_RATING_LABELS:
            return ""
        return "\n".join(labels[n] for n in sorted(labels))
    if spec.kind == "text":
        if any(option.strip() for option in spec.options):
            raise QuestionError("A free-text question has no options; clear them or choose another type.", "options")
        return ""
    raise QuestionError("Choose single choice, rating 1–5 or free text.", "kind")


def answer_choices(question: PollQuestion) -> list[tuple[str, str]]:
    """(value, label) pairs a respondent picks from; empty for free text."""
    if question.kind == "choice":
        return [(option, option) for option in question.option_list]
    if question.kind == "rating":
        return [(str(number), label) for number, label in sorted(rating_labels(question).items())]
    return []


def clean_answer(question: PollQuestion, raw) -> str | None:
    """The answer as stored (text of the option, rating digits, free text), or None when left blank."""
    value = raw.strip() if isinstance(raw, str) else ("" if raw is None else str(raw).strip())
    if not value:
        if not question.required:
            return None
        if question.kind == "choice":
            raise AnswerError("Choose an answer; this question is required.")
        if question.kind == "rating":
            raise AnswerError("Choose a rating from 1 to 5; this question is required.")
        raise AnswerError("Write an answer; this question is required.")
    if question.kind == "choice":
        options = question.option_list
        if value not in options:
            raise AnswerError(f"Choose one of the options offered: {', '.join(options)}.")
    elif question.kind == "rating":
        if not re.fullmatch(r"[0-9]{1,2}", value) or int(value) not in rating_labels(question):
            raise AnswerError("Choose a rating from 1 to 5.")
        value = str(int(value))
    elif len(value) > MAX_TEXT_ANSWER:
        raise AnswerError(f"Keep the answer under {MAX_TEXT_ANSWER:,} characters (it has {len(value):,}).")
    return value


def foreign_questions_message(question_ids) -> str:
    listed = ", ".join(str(qid) for qid in sorted(question_ids))
    return (
        f"The response answered a question that is not part of this poll (question {listed}); "
        "nothing was recorded. Reload the poll and answer again."
    )


def check_answers(poll: Poll, answers: Mapping[int, object]) -> dict[int, str | None]:
    """Every question's cleaned answer, or ResponseRejected with a message per question."""
    questions = {question.id: question for question in poll.questions}
    form_errors = []
    foreign = {qid for qid in answers if qid not in questions}
    if foreign:
        form_errors.append(foreign_questions_message(foreign))
    cleaned, errors = {}, {}
    for qid, question in questions.items():
        try:
            cleaned[qid] = clean_answer(question, answers.get(qid))
        except AnswerError as exc:
            errors[qid] = str(exc)
    if errors or form_errors:
        raise ResponseRejected(errors, form_errors)
    return cleaned


def closed_message(poll: Poll) -> str:
    if poll.state == "draft":
        return "This poll is not open yet, so it takes no responses."
    return "This poll is closed, so it takes no more responses. Nothing was recorded."


def _lock_open_poll(poll_id: int, now: datetime) -> None:
    """Refuse unless the poll is open, holding a share lock so it cannot close mid-response (PostgreSQL)."""
    row = db.session.execute(
        sa.select(Poll.state, Poll.closes_at).where(Poll.id == poll_id).with_for_update(read=True)
    ).one_or_none()
    if row is None or row.state != "open" or (row.closes_at is not None and now >= row.closes_at):
        raise PollClosedError("This poll is closed, so it takes no more responses. Nothing was recorded.")


def _existing_response(poll_id: int, user_id: int, *, lock: bool = False) -> PollResponse | None:
    stmt = sa.select(PollResponse).where(PollResponse.poll_id == poll_id, PollResponse.user_id == user_id)
    if lock:
        # Two submissions by one person wait for each other here, so each reads what the other wrote.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def _replace_answers(response_id: int, cleaned: dict[int, str | None], kinds: dict[int, str]) -> None:
    """The response's answers become exactly these: never a mix of two submissions."""
    db.session.execute(sa.delete(PollAnswer).where(PollAnswer.response_id == response_id))
    rows = [
        {
            "response_id": response_id,
            "question_id": qid,
            "choice": value if kinds[qid] == "choice" else None,
            "rating": int(value) if kinds[qid] == "rating" else None,
            "text": value if kinds[qid] == "text" else None,
        }
        for qid, value in cleaned.items()
        if value is not None
    ]
    if rows:
        db.session.execute(sa.insert(PollAnswer), rows)


def record_response(
    poll: Poll, user: User, answers: Mapping[int, object], *, now: datetime | None = None
) -> PollResponse:
    """Store the user's response, or replace their earlier one: one row per person per poll.

    The unique (poll, user) constraint decides between two near-simultaneous first
    responses: the loser's insert fails, and it replaces the winner's answers instead.
    The answers are replaced whole, so one of two simultaneous submissions is stored
    entirely, never a mix.
    """
    now = now or utcnow()
    if not poll.is_open(now):
        raise PollClosedError(closed_message(poll))
    cleaned = check_answers(poll, answers)
    poll_id, user_id = poll.id, user.id
    kinds = {question.id: question.kind for question in poll.questions}
    _lock_open_poll(poll_id, now)
    for _attempt in range(RESPONSE_ATTEMPTS):
        response = _existing_response(poll_id, user_id, lock=True)
        if response is None:
            response = PollResponse(poll_id=poll_id, user_id=user_id, created_at=now, updated_at=now)
            try:
                with savepoint():
                    db.session.add(response)
                    db.session.flush()
            except IntegrityError:
                continue  # the same person's other submission inserted first: replace its answers
        _replace_answers(response.id, cleaned, kinds)
        # Stamped as late as possible: the live results notice changes by the latest stamp.
        response.updated_at = max(now, utcnow())
        flush()
        db.session.expire(response, ["answers"])
        return response
    raise ConflictError("Your response was being saved twice at the same moment. Please send it again.")


def previous_answers(poll: Poll, user: User) -> tuple[PollResponse | None, dict[int, str]]:
    """The user's response, and its answers as form values, to pre-fill the form."""
    response = _existing_response(poll.id, user.id)
    if response is None:
        return None, {}
    values = {}
    for answer in response.answers:
        if answer.rating is not None:
            values[answer.question_id] = str(answer.rating)
        else:
            values[answer.question_id] = answer.choice if answer.choice is not None else (answer.text or "")
    return response, values


# ---------------------------------------------------------------- building, opening, closing


def _questions(specs: list[QuestionSpec]) -> list[PollQuestion]:
    if len(specs) > MAX_QUESTIONS:
        raise PollError(f"A poll can have at most {MAX_QUESTIONS} questions.")
    return [
        PollQuestion(position=index, text=spec.text.strip(), kind=spec.kind, required=spec.required,
                     options=check_question(spec))
        for index, spec in enumerate(specs, start=1)
    ]


def _check_closes_at(closes_at: datetime | None) -> None:
    if closes_at is not None and closes_at.tzinfo is None:
        raise ValueError("closes_at must be an aware datetime")


def create_poll(data: dict, questions: list[QuestionSpec], *, now: datetime | None = None) -> Poll:
    """A new draft poll: staff open it when the meeting reaches it."""
    now = now or utcnow()
    _check_closes_at(data.get("closes_at"))
    poll = Poll(
        title=data["title"],
        intro=data.get("intro") or "",
        meeting_id=data.get("meeting_id") or None,
        closes_at=data.get("closes_at"),
        state="draft",
        created_at=now,
    )
    poll.questions = _questions(questions)
    db.session.add(poll)
    flush()
    return poll


def update_poll(
    poll: Poll, data: dict, questions: list[QuestionSpec] | None = None, *, expected_version: int | None = None
) -> Poll:
    """Change a poll's details; its questions only while it is a draft (answers refer to them)."""
    _check_closes_at(data.get("closes_at"))
    if expected_version is not None and expected_version != poll.version:
        raise ConflictError("Someone else saved this poll after you opened it, so your changes were not saved.")
    if questions is not None:
        if poll.state != "draft":
            raise PollError("Questions cannot change once a poll has been opened; its answers refer to them.")
        poll.questions = _questions(questions)
    poll.title = data["title"]
    poll.intro = data.get("intro") or ""
    poll.meeting_id = data.get("meeting_id") or None
    poll.closes_at = data.get("closes_at")
    flag_modified(poll, "title")  # a change of questions only is a new version too
    flush()
    return poll


def open_poll(poll: Poll, *, now: datetime | None = None, user: User | None = None) -> bool:
    """Open (or reopen) the poll; True when a past close time had to be cleared."""
    now = now or utcnow()
    if not poll.questions:
        raise PollError("Add at least one question before opening the poll.")
    cleared = poll.closes_at is not None and poll.closes_at <= now
    if cleared:
        poll.closes_at = None
    if poll.state == "draft":
        # The first opening is news: an outbox record, told by the worker to all who want it.
        db.session.add(Announcement(kind="poll", poll_id=poll.id, title=f"New poll: {poll.title}"[:300], created_at=now,
                                    created_by_id=user.id if user else None))
    poll.state = "open"
    flush()
    return cleared


def close_poll(poll: Poll, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if poll.state == "draft":
        raise PollError("A draft poll has not been opened, so there is nothing to close.")
    if poll.closes_at is None or poll.closes_at > now:
        poll.closes_at = now  # so the page can say when it closed
    poll.state = "closed"
    flush()
