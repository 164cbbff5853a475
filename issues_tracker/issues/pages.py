"""The issue's page as the views of several parts render it: a form sent back with its messages (a
comment, a declaration, a triage decision) shows on the whole page, as it was."""

from __future__ import annotations

from flask import current_app, render_template
from flask_login import current_user

from ..participation import affected as affected_service
from ..participation.panel import participation_context
from . import operations as issue_service
from .forms import ActionStatusForm, IssueActionForm, TriageForm
from .models import Issue


def similar_context(similar: list[Issue], search) -> dict:
    """What the similar-issues list shows: each issue's affected count, and whether the
    person's organisation has already said it is affected (else a one-click button)."""
    counts, declared = affected_service.affected_summary([issue.id for issue in similar], current_user.organisation_id)
    return {"similar": similar, "similar_search": search, "similar_affected": counts, "declared_ids": declared}


def detail_page(issue: Issue, *, triage_form=None, action_form=None, status_form=None, status: int = 200,
                 **participation):
    """The issue page; staff see its forms, a submitted one with its messages."""
    staff = current_user.is_staff
    similar, similar_search = [], None
    if staff and issue.triage_state == "pending":
        # Staff triaging a submission see what it may duplicate.
        similar, similar_search = issue_service.similar_issues(issue.summary, issue.description, exclude_id=issue.id)
    return render_template(
        "issues/detail.html",
        issue=issue,
        stale_days=current_app.config["STALE_AFTER_DAYS"],
        # The triage box shows on a pending or rejected submission, or with a refused decision.
        triage_form=triage_form or (TriageForm(formdata=None) if staff and issue.triage_state != "published" else None),
        action_form=(action_form or IssueActionForm(formdata=None)) if staff else None,
        status_form=(status_form or ActionStatusForm(formdata=None)) if staff else None,
        **similar_context(similar, similar_search),
        **participation_context(issue, **participation),
    ), status
