"""The programme as the April 2026 forum pack reports it (section 02, "IPA Review: Actions
Summary" and "Actions Progress").

The pack prints the four recommendation themes with three actions each, what has landed,
the immediate focus, and the overall tracker: 9 complete, 12 in progress, 5 not started;
tactical 9 complete and 12 in progress; strategic 5 not started ("all tactical actions are
mobilised; strategic actions remain leadership-led"). It does not list the 26 actions one by
one, so the register below is built from its own words: each theme's actions, what has
landed (complete), the immediate focus (in progress), the CSI and reporting work of
sections 03–04, and the Future TOM actions, which are the strategic ones. Its counts are
exactly the pack's tracker.

Dates: completed actions keep the dates they landed (before the April 2026 forum); those in
progress or not started are due some weeks after the day the seed runs, as the tracker rows
are dated, so a newcomer's register is current. Each action's history starts with its status
as reported at the April forum. Running the seed twice changes nothing (actions are keyed by
their IPA number).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from ..core.extensions import db
from .models import ImprovementAction, ImprovementActionUpdate

PACK_REPORTED = datetime(2026, 4, 13, 16, 0, tzinfo=UTC)
IAN, JOE, SAM, GARY = "Ian Giles", "Joe Andrews", "Sam Young", "Gary Leach"

# (theme, kind, status, title, owner, due: a date for complete actions, else weeks after the seed day)
PROGRAMME = [
    ("governance", "tactical", "in_progress", "Stronger quality control checks across cases and incidents", IAN, 4),
    ("governance", "tactical", "in_progress", "More consistent record quality, ownership and closure discipline", IAN, 6),
    ("governance", "tactical", "complete", "Improved MI and KPI reporting to support governance and decisions", SAM,
     date(2026, 3, 31)),
    ("governance", "tactical", "complete", "Weekly industry issues log in place and issued every Monday", IAN,
     date(2026, 3, 2)),
    ("governance", "tactical", "complete", "DIP actions progressed", IAN, date(2026, 3, 20)),
    ("governance", "tactical", "complete", "Capacity validation completed and RA7 evidence submitted", IAN,
     date(2026, 3, 27)),
    ("governance", "tactical", "complete", "First internal Service Operations Review report", SAM, date(2026, 3, 31)),
    ("csi_pirs", "tactical", "in_progress", "Enhance the Post Incident Review process and outputs", JOE, 5),
    ("csi_pirs", "tactical", "in_progress", "PIR template and tracker refresh", JOE, 2),
    ("csi_pirs", "tactical", "in_progress", "Ensure PIRs drive corrective and preventive actions", JOE, 8),
    ("csi_pirs", "tactical", "complete", "A clear mechanism to track PIR actions through to closure", JOE,
     date(2026, 3, 31)),
    ("csi_pirs", "tactical", "complete", "CSI feedback consolidated and the ADO board live", JOE, date(2026, 3, 24)),
    ("csi_pirs", "tactical", "in_progress", "CSI process Go-Live and BAU transition", JOE, 6),
    ("participant_support", "tactical", "in_progress", "Improve ticket submission guidance to reduce avoidable demand",
     IAN, 3),
    ("participant_support", "tactical", "in_progress",
     "Develop a clearer participant onboarding approach and core support pack", IAN, 4),
    ("participant_support", "tactical", "in_progress", "Improve visibility and control of guidance updates and changes",
     IAN, 8),
    ("participant_support", "tactical", "in_progress", "Distribution lists and contact register", IAN, 2),
    ("participant_support", "tactical", "in_progress", "Forward calendar of forums and planned changes", IAN, 3),
    ("participant_support", "tactical", "complete", "Monthly Service Management Forum with participant feedback poll",
     GARY, date(2026, 3, 10)),
    ("participant_support", "tactical", "complete", "Escalation routes published for participants", IAN,
     date(2026, 4, 10)),
    ("participant_support", "tactical", "in_progress", "Customer Journey Mapping with participants", SAM, 10),
    ("future_tom", "strategic", "not_started", "Clarify Elexon's future role within the TOM", GARY, 16),
    ("future_tom", "strategic", "not_started",
     "Define ownership boundaries across Service Management, OSM, Triage and related functions", GARY, 20),
    ("future_tom", "strategic", "not_started", "Review capacity, cross-party service levels and accountability mechanisms",
     GARY, 24),
    ("future_tom", "strategic", "not_started",
     "Agree the long-term operating model's accountability framework with the Governance Board", GARY, 26),
    ("participant_support", "strategic", "not_started",
     "Target participant-facing support model and self-service experience", GARY, 26),
]

FIRST_NOTE = {
    "complete": "Reported complete at the April 2026 forum.",
    "in_progress": "Reported in progress at the April 2026 forum: all tactical actions are mobilised.",
    "not_started": "Not started at the April 2026 forum: strategic actions remain leadership-led.",
}


def seed_programme(today: date) -> int:
    """Add the pack's programme actions that are missing; returns how many were added."""
    existing = set(db.session.scalars(sa.select(ImprovementAction.code)))
    added = 0
    for number, (theme, kind, status, title, owner, due) in enumerate(PROGRAMME, start=1):
        code = f"IPA-{number:02d}"
        if code in existing:
            continue
        due_on = due if isinstance(due, date) else today + timedelta(weeks=due)
        action = ImprovementAction(
            code=code, theme=theme, kind=kind, status=status, title=title, owner_name=owner, due_on=due_on,
            created_at=PACK_REPORTED, updated_at=PACK_REPORTED,
        )
        action.updates.append(ImprovementActionUpdate(
            created_at=PACK_REPORTED, text=FIRST_NOTE[status], old_status="", new_status=status,
        ))
        db.session.add(action)
        added += 1
    db.session.flush()
    return added
