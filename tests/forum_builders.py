"""Builders for forum and poll test data that go through the same services as the app.

Services add and flush; like any caller, each builder commits its work once.
"""

from __future__ import annotations

from datetime import date

from issues_tracker.core.extensions import db
from issues_tracker.forum import operations as forum_service
from issues_tracker.forum.models import MeetingQuestion
from issues_tracker.polls import operations as poll_service
from issues_tracker.polls.operations import QuestionSpec

# A short poll with one question of each kind, like the pack's "Poll feedback from March".
FEEDBACK = [
    QuestionSpec("Is this meeting your immediate needs?", "choice", True, ["Yes", "Partially", "No"]),
    QuestionSpec("How simple is it to raise a case?", "rating", True),
    QuestionSpec("How can we make these sessions more valuable?", "text", False),
]


def make_meeting(day: date, *, title: str = "Service Management Forum", agenda=(), **fields):
    data = {
        "meeting_date": day,
        "title": title,
        "chair": "Gary Leach",
        "start_time": "10:00",
        "end_time": "12:00",
        "recording_url": "",
        "minutes": "",
    }
    data.update(fields)
    entries = [forum_service.AgendaEntry(number, topic, presenter) for number, topic, presenter in agenda]
    meeting = forum_service.save_meeting(None, data, entries)
    db.session.commit()
    return meeting


def make_poll(*, state: str = "open", questions=None, meeting=None, closes_at=None, title: str = "Forum feedback"):
    poll = poll_service.create_poll(
        {"title": title, "intro": "Tell us what's working.", "meeting_id": meeting.id if meeting else None,
         "closes_at": closes_at},
        list(questions or FEEDBACK),
    )
    if state in ("open", "closed"):
        poll_service.open_poll(poll)
    if state == "closed":
        poll_service.close_poll(poll)
    db.session.commit()
    return poll


def form_for(poll, *answers) -> dict:
    """POST data answering the poll's questions in order (None leaves one blank)."""
    return {f"q{question.id}": value for question, value in zip(poll.questions, answers, strict=False) if value is not None}


def make_action(user, *, description="Share the Continuous Improvement backlog", owner="Joe Andrews",
                raised=date(2026, 3, 10), status="Open", meeting=None, issue=None):
    action = forum_service.create_action(
        {"description": description, "owner_name": owner, "date_raised": raised, "status": status,
         "meeting_id": meeting.id if meeting else None, "issue_id": issue.id if issue else None},
        user,
    )
    db.session.commit()
    return action


def make_question(meeting, user, body="When is the next DIP release?", *, state="published", votes=0):
    question = MeetingQuestion(meeting_id=meeting.id, author_id=user.id, organisation_id=user.organisation_id,
                               body=body, state=state, votes=votes)
    db.session.add(question)
    db.session.commit()
    return question
