"""All models, importable from one place (Alembic autogenerate sees them all)."""

from .forum import AgendaItem, ForumAction, ForumActionUpdate, Meeting
from .issue import Issue, IssueAction, IssueEvent, IssueMessage, IssueService
from .log import LogCommentary, PublishedLog
from .participation import (
    AffectedDeclaration,
    Announcement,
    Comment,
    Delivery,
    Follow,
    NotificationSettings,
    SavedView,
)
from .poll import Poll, PollAnswer, PollQuestion, PollResponse
from .user import Organisation, User

__all__ = [
    "AffectedDeclaration",
    "Announcement",
    "Comment",
    "Delivery",
    "Follow",
    "NotificationSettings",
    "SavedView",
    "AgendaItem",
    "ForumAction",
    "ForumActionUpdate",
    "Issue",
    "IssueAction",
    "IssueEvent",
    "IssueMessage",
    "IssueService",
    "LogCommentary",
    "Meeting",
    "Organisation",
    "Poll",
    "PollAnswer",
    "PollQuestion",
    "PollResponse",
    "PublishedLog",
    "User",
]
