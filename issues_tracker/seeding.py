"""Loads the seed data in seeds/: the pack's tracker rows, forum dates, actions and feedback poll.

Every record has a natural key (source_ref, meeting date, SMF number, poll seed
key, email), so running the seed twice changes nothing.

The pack's tracker rows are dated relative to the day the seed runs (the rows and
their texts are the pack's own): a newcomer sees issues raised days to months ago,
some updated this week and some stale, actions due and overdue, and an age profile
spread over every bucket, whatever day it is. The forum's meetings and actions keep
the pack's dates: they are the 2026 calendar and its minutes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import sqlalchemy as sa

from .extensions import db
from .formats import LONDON
from .models import (
    AgendaItem,
    ForumAction,
    ForumActionUpdate,
    Issue,
    IssueAction,
    IssueEvent,
    IssueMessage,
    IssueService,
    Meeting,
    Organisation,
    Poll,
    PollQuestion,
    User,
)
from .services.accounts import get_or_create_organisation
from .services.polls import STANDARD_FEEDBACK_INTRO, STANDARD_FEEDBACK_QUESTIONS

SEEDS_DIR = Path(__file__).resolve().parent / "seeds"
SERVICE_PROVIDER = "Elexon"

DEMO_PASSWORD = "demo-password"  # noqa: S105 (local demo accounts only)
DEMO_ACCOUNTS = [
    ("admin@example.org", "admin", SERVICE_PROVIDER, "Ada Admin"),
    ("staff@example.org", "staff", SERVICE_PROVIDER, "Sam Staff"),
    ("participant@supplier.example", "participant", "Northern Supply Co", "Pat Participant"),
    ("participant@distributor.example", "participant", "Eastern Networks", "Dana Distributor"),
]
# When the pack's forum actions were last updated (before the April forum).
PACK_UPDATED = datetime(2026, 4, 13, 16, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Timeline:
    """How long ago (in days, before the seed runs) a pack row was raised and last updated,
    and when its action is due (days from the seed day; negative is overdue; None: no action)."""

    raised: int
    updated: int
    action_due: int | None = None


# One per tracker row, in the pack's order: ages spread over every bucket of the age
# profile (0–13 … 90+ days), five open rows stale (no update for 14+ days), one
# resolved this week, actions due this week and overdue.
TIMELINES = [
    Timeline(96, 3, action_due=10),
    Timeline(62, 20),
    Timeline(45, 9),
    Timeline(33, 16, action_due=-6),
    Timeline(120, 40),
    Timeline(21, 2),
    Timeline(12, 1, action_due=3),
    Timeline(70, 4),
    Timeline(40, 10),
    Timeline(150, 28, action_due=-12),
    Timeline(8, 0),
    Timeline(88, 15),
    Timeline(25, 1),
    Timeline(5, 5, action_due=5),
    Timeline(55, 6),
]


def seed_moment(today: date, days_before: int, hour: int = 10) -> datetime:
    """A working-hours moment (London) the given number of days before today, in UTC."""
    return datetime.combine(today - timedelta(days=days_before), time(hour, 0), tzinfo=LONDON).astimezone(UTC)


def seed_severity(row: dict) -> int:
    """The pack has no severity: an open row still under investigation that touches many
    suppliers and distributors is treated as high (P2), the rest as moderate (P3)."""
    widespread = row["supplier_impact"] == "Multiple" and row["distributor_impact"] == "Multiple"
    return 2 if row["status"] == "Under investigation" and widespread else 3


def _load(name: str) -> dict:
    return json.loads((SEEDS_DIR / name).read_text(encoding="utf-8"))


def seed_all(*, demo_accounts: bool = False, today: date | None = None) -> dict[str, int]:
    """Load what is missing (nothing already there changes); the tracker rows are dated back from `today`."""
    counts = {"organisations": 0, "accounts": 0, "issues": 0, "meetings": 0, "actions": 0, "polls": 0}
    today = today or datetime.now(UTC).astimezone(LONDON).date()
    provider = get_or_create_organisation(SERVICE_PROVIDER, kind="service_provider")
    if demo_accounts:
        counts["accounts"] = _seed_demo_accounts()
    counts["issues"] = _seed_issues(provider, today)
    forum = _load("forum.json")
    counts["meetings"] = _seed_meetings(forum)
    counts["actions"] = _seed_actions(forum)
    counts["polls"] = _seed_poll(forum["feedback_poll"])
    db.session.commit()
    return counts


def _seed_demo_accounts() -> int:
    added = 0
    for email, role, org_name, name in DEMO_ACCOUNTS:
        if db.session.scalar(sa.select(User.id).where(User.email == email)):
            continue
        org = get_or_create_organisation(org_name, kind="service_provider" if org_name == SERVICE_PROVIDER else (
            "distributor" if "Networks" in org_name else "supplier"))
        user = User(email=email, role=role, organisation=org, name=name)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        added += 1
    db.session.flush()
    return added


def _seed_issues(provider: Organisation, today: date) -> int:
    now = datetime.now(UTC)
    data = _load("industry_issues.json")["issues"]
    existing = set(db.session.scalars(sa.select(Issue.source_ref).where(Issue.source_ref.is_not(None))))
    added = 0
    for index, row in enumerate(data):
        if row["source_ref"] in existing:
            continue
        timeline = TIMELINES[index % len(TIMELINES)]
        # Never in the future, when the seed runs early in the morning.
        raised = min(seed_moment(today, timeline.raised, hour=9), now)
        updated = min(seed_moment(today, timeline.updated, hour=15 if timeline.updated else 8), now)
        resolved = row["status"] in ("Resolved", "Closed")
        issue = Issue(
            source_ref=row["source_ref"],
            summary=row["summary"],
            description=row["summary"] + ". Raised through the MVP tracker; see the settlement impact and actions.",
            severity=seed_severity(row),
            root_cause=row["root_cause"],
            root_cause_certainty="Suspected" if row["status"] in ("Under investigation", "Under analysis") else "Known",
            impact_assessment=row["impact_assessment"],
            supplier_impact=row["supplier_impact"],
            distributor_impact=row["distributor_impact"],
            settlement_impact=row["settlement_impact"],
            status=row["status"],
            action_underway=row["action_underway"],
            resolution_description=row["resolution_description"],
            resolution_status=row["resolution_status"],
            dependencies=row["dependencies"],
            parties_responsible=row["parties_responsible"],
            next_run_resolves=row["next_run_resolves"],
            organisation=provider,
            triage_state="published",
            created_at=raised,
            published_at=raised,
            last_update_at=updated,
            resolved_at=updated if resolved else None,
        )
        issue.service_links = [IssueService(code) for code in row["services"]]
        issue.message_links = [IssueMessage(code) for code in row["messages"]]
        issue.events = [
            IssueEvent(created_at=raised, kind="created", note="Imported from the MVP tracker"),
            IssueEvent(created_at=raised, kind="triage", field="triage_state", old_value="pending",
                       new_value="published", note="Published to the industry view"),
            IssueEvent(created_at=updated, kind="note",
                       note=f"Progress reviewed with {row['parties_responsible'] or 'the parties responsible'}: "
                            f"{row['action_underway'] or row['status']}."),
        ]
        if timeline.action_due is not None and not resolved and row["action_underway"]:
            issue.actions = [
                IssueAction(description=row["action_underway"], owner_name=row["parties_responsible"] or SERVICE_PROVIDER,
                            due_date=today + timedelta(days=timeline.action_due), status="In Progress",
                            created_at=raised, updated_at=updated)
            ]
        db.session.add(issue)
        added += 1
    db.session.flush()
    return added


def _seed_meetings(forum: dict) -> int:
    existing = set(db.session.scalars(sa.select(Meeting.meeting_date)))
    added = 0
    for row in forum["meetings"]:
        day = date.fromisoformat(row["date"])
        if day in existing:
            continue
        meeting = Meeting(meeting_date=day, title=row["title"], chair=forum["chair"])
        meeting.agenda_items = [
            AgendaItem(number=number, topic=topic, presenter=presenter)
            for number, topic, presenter in row.get("agenda", [])
        ]
        db.session.add(meeting)
        added += 1
    db.session.flush()
    return added


def _meeting_id(day: str) -> int | None:
    return db.session.scalar(sa.select(Meeting.id).where(Meeting.meeting_date == date.fromisoformat(day)))


def _seed_actions(forum: dict) -> int:
    existing = set(db.session.scalars(sa.select(ForumAction.number)))
    added = 0
    for row in forum["actions"]:
        if row["number"] in existing:
            continue
        raised = date.fromisoformat(row["raised"])
        action = ForumAction(
            number=row["number"],
            description=row["description"],
            owner_name=row["owner"],
            date_raised=raised,
            status=row["status"],
            meeting_id=_meeting_id(row["meeting"]),
            updated_at=PACK_UPDATED,
        )
        if row["update"]:
            action.updates = [
                ForumActionUpdate(created_at=PACK_UPDATED, text=row["update"], old_status="Open", new_status=row["status"])
            ]
        db.session.add(action)
        added += 1
    db.session.flush()
    return added


def _seed_poll(spec: dict) -> int:
    if db.session.scalar(sa.select(Poll.id).where(Poll.seed_key == spec["seed_key"])):
        return 0
    poll = Poll(
        seed_key=spec["seed_key"],
        meeting_id=_meeting_id(spec["meeting"]),
        title=spec["title"],
        intro=STANDARD_FEEDBACK_INTRO,
        state=spec["state"],
    )
    poll.questions = [
        PollQuestion(position=i + 1, text=q.text, kind=q.kind, required=q.required, options="\n".join(q.options))
        for i, q in enumerate(STANDARD_FEEDBACK_QUESTIONS)
    ]
    db.session.add(poll)
    db.session.flush()
    return 1
