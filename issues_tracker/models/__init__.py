"""All models, importable from one place (Alembic autogenerate sees them all)."""

from .forum import AgendaItem, ForumAction, ForumActionUpdate, Meeting
from .issue import Issue, IssueAction, IssueEvent, IssueMessage, IssueService
from .job import Job, Upload
from .log import LogCommentary, PublishedLog
from .poll import Poll, PollAnswer, PollQuestion, PollResponse
from .user import Organisation, User

__all__ = [
    "AgendaItem",
    "ForumAction",
    "ForumActionUpdate",
    "Issue",
    "IssueAction",
    "IssueEvent",
    "IssueMessage",
    "IssueService",
    "Job",
    "LogCommentary",
    "Meeting",
    "Organisation",
    "Poll",
    "PollAnswer",
    "PollQuestion",
    "PollResponse",
    "PublishedLog",
    "Upload",
    "User",
]
