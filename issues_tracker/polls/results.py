"""A poll's results: live counts per option and rating, free-text answers by anonymous respondent
("Anonymous User 1"), and the CSV export for staff."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from ..core.extensions import db
from .models import Poll, PollAnswer, PollQuestion, PollResponse
from .operations import poll_status, rating_labels


@dataclass
class OptionResult:
    label: str
    count: int
    percent: int


@dataclass
class QuestionResult:
    question: PollQuestion
    answered: int = 0
    options: list[OptionResult] = field(default_factory=list)
    average: float | None = None
    texts: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class PollResults:
    poll: Poll
    status: str
    total: int
    last_response_at: datetime | None
    questions: list[QuestionResult]

    @property
    def live(self) -> bool:
        return self.status == "open"


def anonymous_name(number: int) -> str:
    return f"Anonymous User {number}"


def response_summary(poll_id: int) -> tuple[int, datetime | None]:
    """How many responses and when the latest was saved: what the results depend on."""
    count, latest = db.session.execute(
        sa.select(sa.func.count(PollResponse.id), sa.func.max(PollResponse.updated_at)).where(
            PollResponse.poll_id == poll_id
        )
    ).one()
    if latest is not None and latest.tzinfo is None:
        latest = latest.replace(tzinfo=UTC)  # in case an aggregate bypasses the column type
    return count, latest


def _numbered_responses(poll_id: int):
    """Each response of the poll numbered 1, 2, ... in the order they were first saved."""
    return (
        sa.select(PollResponse.id, sa.func.row_number().over(order_by=PollResponse.id).label("n"))
        .where(PollResponse.poll_id == poll_id)
        .subquery()
    )


def _percent(count: int, of: int) -> int:
    return round(100 * count / of) if of else 0


def poll_results(poll: Poll, *, summary: tuple[int, datetime | None] | None = None,
                 now: datetime | None = None) -> PollResults:
    """Counts, percentages and averages per question, with free text anonymised.

    A fixed number of queries whatever the number of responses: one GROUP BY
    for the counts, one for the free-text answers.
    """
    total, latest = summary if summary is not None else response_summary(poll.id)
    counts: dict[int, dict] = {}
    rows = db.session.execute(
        sa.select(PollAnswer.question_id, PollAnswer.choice, PollAnswer.rating, sa.func.count())
        .join(PollQuestion, PollQuestion.id == PollAnswer.question_id)
        .where(PollQuestion.poll_id == poll.id)
        .group_by(PollAnswer.question_id, PollAnswer.choice, PollAnswer.rating)
    )
    for qid, choice, rating, count in rows:
        key = rating if rating is not None else choice
        tally = counts.setdefault(qid, {})
        tally[key] = tally.get(key, 0) + count

    texts: dict[int, list[tuple[str, str]]] = {}
    numbered = _numbered_responses(poll.id)
    text_rows = db.session.execute(
        sa.select(numbered.c.n, PollAnswer.question_id, PollAnswer.text)
        .join(numbered, numbered.c.id == PollAnswer.response_id)
        .where(PollAnswer.text.is_not(None), PollAnswer.text != "")
        .order_by(numbered.c.n)
    )
    for number, qid, text in text_rows:
        texts.setdefault(qid, []).append((anonymous_name(number), text))

    results = []
    for question in poll.questions:
        tally = counts.get(question.id, {})
        result = QuestionResult(question=question, answered=sum(tally.values()))
        if question.kind == "choice":
            labels = question.option_list
            labels += [str(key) for key in tally if key not in labels]  # options renamed after answers
            result.options = [OptionResult(label, tally.get(label, 0), _percent(tally.get(label, 0), result.answered))
                              for label in labels]
        elif question.kind == "rating":
            labels = rating_labels(question)
            result.options = [OptionResult(label, tally.get(number, 0), _percent(tally.get(number, 0), result.answered))
                              for number, label in sorted(labels.items())]
            rated = sum(count for key, count in tally.items() if isinstance(key, int))
            if rated:
                total_score = sum(key * count for key, count in tally.items() if isinstance(key, int))
                result.average = round(total_score / rated, 1)
        else:
            result.texts = texts.get(question.id, [])
        results.append(result)
    return PollResults(poll=poll, status=poll_status(poll, now), total=total, last_response_at=latest, questions=results)


def safe_cell(value):
    """Stop spreadsheet programs from running respondents' text as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        return "'" + value
    return value


def export_rows(poll: Poll) -> Iterator[list]:
    """One row per response, one column per question, respondents anonymised (as the pack's table)."""
    questions = list(poll.questions)
    labels = {question.id: rating_labels(question) for question in questions if question.kind == "rating"}
    yield ["Respondent"] + [safe_cell(question.text) for question in questions]
    numbered = _numbered_responses(poll.id)
    answers: dict[int, dict[int, str]] = {}
    order: list[int] = []
    rows = db.session.execute(
        sa.select(numbered.c.n, PollAnswer.question_id, PollAnswer.choice, PollAnswer.rating, PollAnswer.text)
        .select_from(numbered)
        .outerjoin(PollAnswer, PollAnswer.response_id == numbered.c.id)
        .order_by(numbered.c.n)
    )
    for number, qid, choice, rating, text in rows:
        if number not in answers:
            answers[number] = {}
            order.append(number)
        if qid is None:
            continue
        if rating is not None:
            value = labels.get(qid, {}).get(rating, str(rating))
        else:
            value = choice if choice is not None else (text or "")
        answers[number][qid] = value
    for number in order:
        yield [anonymous_name(number)] + [safe_cell(answers[number].get(q.id, "")) for q in questions]
