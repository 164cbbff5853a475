"""Builders for test data that go through the same services as the app.

Services add and flush; like any caller, each builder commits its work once.
"""

from __future__ import annotations

from issues_tracker.core.extensions import db
from issues_tracker.issues import operations as issue_service

VALID_SUBMISSION = {
    "summary": "Message schema validation failures",
    "services": ["DIP"],
    "description": "Dflows rejected at the DIP with schema errors since the March release.",
    "severity": "2",
    "root_cause": "Participant message format errors",
    "root_cause_certainty": "Suspected",
    "supplier_impact": "Multiple",
    "distributor_impact": "3",
    "messages": ["Dflows", "PUB"],
    "settlement_impact": "Rejections causing processing delays",
    "dependencies": "Participant configuration",
    "parties_responsible": "Suppliers / Participants",
    "next_run_resolves": "Unknown",
    "service_desk_refs": "cs0016629, INC0126133",
}


def make_issue(user, *, publish_by=None, **overrides):
    data = {
        "summary": "Visibility of message processing status",
        "description": "Participants cannot tell whether messages were processed.",
        "severity": 3,
        "services": ["DIP"],
        "messages": ["Dflows"],
        "next_run_resolves": "Unknown",
    }
    data.update(overrides)
    issue = issue_service.submit_issue(data, user)
    if publish_by is not None:
        issue_service.triage_issue(issue, publish_by, "publish")
    db.session.commit()
    return issue
