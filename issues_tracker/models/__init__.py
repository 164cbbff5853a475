"""All models, importable from one place (Alembic autogenerate sees them all)."""

from .forum import AgendaItem, ForumAction, ForumActionUpdate, Meeting
from .issue import Issue, IssueAction, IssueEvent, IssueMessage, IssueService
from .job import Job, Upload
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
from .servicedesk import (
    MajorIncidentUpdate,
    MeetingPack,
    PirAction,
    PirActionUpdate,
    ServiceDeskImport,
    ServiceDeskMonth,
    ServiceDeskRecord,
)
from .user import Organisation, User, UserSession

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
    "Job",
    "LogCommentary",
    "MajorIncidentUpdate",
    "Meeting",
    "MeetingPack",
    "Organisation",
    "PirAction",
    "PirActionUpdate",
    "Poll",
    "PollAnswer",
    "PollQuestion",
    "PollResponse",
    "PublishedLog",
    "ServiceDeskImport",
    "ServiceDeskMonth",
    "ServiceDeskRecord",
    "Upload",
    "User",
    "UserSession",
]
