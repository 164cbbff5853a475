"""Loads the seed data in seeds/: the pack's tracker rows, forum dates, actions and feedback poll.

Every record has a natural key (source_ref, meeting date, SMF number, poll seed
key, email), so running the seed twice changes nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from .extensions import db
from .models import (
    AgendaItem,
    ForumAction,
    ForumActionUpdate,
    Issue,
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
# When the pack's tracker rows were raised and last updated (before the April forum).
PACK_RAISED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PACK_UPDATED = datetime(2026, 4, 13, 16, 0, tzinfo=UTC)


def _load(name: str) -> dict:
    return json.loads((SEEDS_DIR / name).read_text(encoding="utf-8"))


def seed_all(*, demo_accounts: bool = False) -> dict[str, int]:
    counts = {"organisations": 0, "accounts": 0, "issues": 0, "meetings": 0, "actions": 0, "polls": 0}
    provider = get_or_create_organisation(SERVICE_PROVIDER, kind="service_provider")
    if demo_accounts:
        counts["accounts"] = _seed_demo_accounts()
    counts["issues"] = _seed_issues(provider)
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


def _seed_issues(provider: Organisation) -> int:
    data = _load("industry_issues.json")["issues"]
    existing = set(db.session.scalars(sa.select(Issue.source_ref).where(Issue.source_ref.is_not(None))))
    added = 0
    for index, row in enumerate(data):
        if row["source_ref"] in existing:
            continue
        raised = PACK_RAISED + timedelta(days=2 * index)
        resolved = row["status"] in ("Resolved", "Closed")
        issue = Issue(
            source_ref=row["source_ref"],
            summary=row["summary"],
            description=row["summary"] + ". Raised through the MVP tracker; see the settlement impact and actions.",
            severity=3,
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
            last_update_at=PACK_UPDATED,
            resolved_at=PACK_UPDATED if resolved else None,
        )
        issue.service_links = [IssueService(code) for code in row["services"]]
        issue.message_links = [IssueMessage(code) for code in row["messages"]]
        # The pack's history is not news: written already fanned out, so nobody is emailed about it.
        issue.events = [
            IssueEvent(created_at=raised, kind="created", note="Imported from the MVP tracker", fanned_out_at=raised),
            IssueEvent(created_at=raised, kind="triage", field="triage_state", old_value="pending",
                       new_value="published", note="Published to the industry view", fanned_out_at=raised),
            IssueEvent(created_at=PACK_UPDATED, kind="note", note="Reviewed at the April Service Management Forum.",
                       fanned_out_at=PACK_UPDATED),
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
