"""Issues as the API shows them: plain dicts the response schemas (schemas.py) describe. Reads only."""

from __future__ import annotations

from ..accounts.models import User
from ..core.urls import external_url
from ..issues.models import Issue
from ..participation import affected as affected_service
from ..participation import comments as comment_service
from ..participation import follows as follow_service


def issue_summary(issue) -> dict:
    """An issue (or a list row, issues.queries.ListedIssue) in the list's shape."""
    return {
        "id": issue.id,
        "reference": issue.reference,
        "summary": issue.summary,
        "status": issue.status,
        "severity": issue.severity,
        "services": list(issue.services),
        "triage_state": issue.triage_state,
        "resolution_status": issue.resolution_status,
        "next_run_resolves": issue.next_run_resolves,
        "affected_org_count": issue.affected_org_count,
        "created_at": issue.created_at,
        "last_update_at": issue.last_update_at,
        "resolved_at": issue.resolved_at,
        "owner": issue.owner.display_name if isinstance(issue, Issue) and issue.owner else getattr(issue, "owner_name", None),
        "url": external_url("issues.detail", issue_id=issue.id),
    }


def issue_detail(issue: Issue, user: User) -> dict:
    """Everything the issue page shows the user: fields, journal, actions, comments, affected counts."""
    count = affected_service.affected_count(issue)
    data = issue_summary(issue) | {
        name: getattr(issue, name) or "" for name in (
            "description", "root_cause", "root_cause_certainty", "impact_assessment", "supplier_impact",
            "distributor_impact", "settlement_impact", "action_underway", "resolution_description", "dependencies",
            "parties_responsible", "service_desk_refs",
        )
    }
    data |= {
        "messages": list(issue.messages),
        "target_date": issue.target_date,
        "organisation": issue.organisation.name,
        "published_at": issue.published_at,
        "version": issue.version,
        "following": follow_service.is_following(user, issue),
        "journal": [
            {
                "at": event.created_at, "kind": event.kind, "by": event.user.display_name if event.user else None,
                "via": event.via or None, "field": event.field or None, "old_value": event.old_value or "",
                "new_value": event.new_value or "", "note": event.note or "",
            }
            for event in issue.events
        ],
        "actions": [
            {"id": action.id, "description": action.description, "owner": action.owner_name, "due_date": action.due_date,
             "status": action.status}
            for action in issue.actions
        ],
        "comments": [
            {
                "id": comment.id, "author": comment.author.display_name if comment.author else None,
                "body": None if comment.hidden else comment.body, "hidden_reason": comment.hidden_reason or None,
                "created_at": comment.created_at,
            }
            for comment in comment_service.comments_for(issue)
        ],
        "affected": {
            "organisations": count.organisations, "suppliers": count.suppliers, "distributors": count.distributors,
            "others": count.others,
            "declared_by_my_organisation": affected_service.declaration_of(issue, user.organisation_id) is not None,
        },
    }
    return data
