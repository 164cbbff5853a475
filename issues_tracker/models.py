"""All models, importable from one place (Alembic autogenerate sees them all)."""

from .accounts.models import Organisation, Passkey, PasswordReset, RecoveryCode, SsoIdentity, User, UserSession
from .api.models import ApiToken
from .escalations.models import Escalation, EscalationEvent
from .forum.models import AgendaItem, ForumAction, ForumActionUpdate, Meeting, MeetingPack, MeetingQuestion, QuestionVote
from .improvements.models import (
    Improvement,
    ImprovementAction,
    ImprovementActionUpdate,
    ImprovementEvent,
    ImprovementFollower,
)
from .issues.models import Issue, IssueAction, IssueEvent, IssueMessage, IssueService
from .jobs.models import Job, Upload
from .log.models import LogCommentary, PublishedLog
from .notifications.models import Announcement, Delivery, NotificationSettings, OutgoingEmail
from .organisations.models import (
    AccessRequest,
    AuditEntry,
    Contact,
    ContactOptOut,
    EmailDomain,
    Invitation,
    MeetingInvitation,
)
from .participation.models import AffectedDeclaration, Comment, Follow, SavedView
from .polls.models import Poll, PollAnswer, PollQuestion, PollResponse
from .servicedesk.models import (
    MajorIncidentUpdate,
    MiNotice,
    MiNoticeEntry,
    PirAction,
    PirActionUpdate,
    ServiceDeskImport,
    ServiceDeskMonth,
    ServiceDeskRecord,
)
from .webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription

__all__ = [
    "ApiToken",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "MiNotice",
    "MiNoticeEntry",
    "Passkey",
    "PasswordReset",
    "RecoveryCode",
    "SsoIdentity",
    "OutgoingEmail",
    "AccessRequest",
    "AuditEntry",
    "Contact",
    "ContactOptOut",
    "EmailDomain",
    "Invitation",
    "MeetingInvitation",
    "AffectedDeclaration",
    "Announcement",
    "Comment",
    "Delivery",
    "Follow",
    "NotificationSettings",
    "SavedView",
    "AgendaItem",
    "Escalation",
    "EscalationEvent",
    "Improvement",
    "ImprovementAction",
    "ImprovementActionUpdate",
    "ImprovementEvent",
    "ImprovementFollower",
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
    "MeetingQuestion",
    "QuestionVote",
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
