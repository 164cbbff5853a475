"""What the API's read-only resources show, read through their parts' operations: the Monday log's
editions, the forum's actions log, polls' anonymous results, and the performance figures of kpis.csv,
aged.csv and the major-incident review."""

from __future__ import annotations

import re
from datetime import UTC, date

from ..core.urls import external_url
from ..forum import operations as forum_service
from ..log import operations as log_service
from ..polls import results as poll_result_service
from ..servicedesk import aged, kpis, periods
from ..servicedesk import incidents as incident_service
from ..servicedesk.clock import month_text

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ReportQueryError(ValueError):
    """A query value that cannot be read; `field` names it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def log_editions() -> list[dict]:
    """Every published edition, newest week first, each revision with its PDF's address."""
    return [
        {"week_commencing": entry.week, "revision": log.revision, "published_at": log.published_at,
         "latest": log is entry.latest,
         "pdf": external_url("log.week_pdf", week=entry.week.isoformat()) if log is entry.latest else None}
        for entry in log_service.archive()
        for log in entry.revisions
    ]


def forum_actions(status: str = "") -> list[dict]:
    if status and status not in ("Open", "Propose Close", "Closed", "not-closed"):
        raise ReportQueryError("Status is Open, Propose Close, Closed or not-closed.", "status")
    return [
        {"code": action.code, "description": action.description, "owner": action.owner_name,
         "date_raised": action.date_raised, "status": action.status, "updated_at": action.updated_at}
        for action in forum_service.list_actions(forum_service.ActionQuery(status=status))
    ]


def _rounded(value, places: int):
    return None if value is None else round(value, places)


def kpi_rows(first: str | None, last: str | None) -> list[dict]:
    try:
        period = periods.period_from(first, last)
    except periods.PeriodError as exc:
        raise ReportQueryError(str(exc), "from") from None
    return [
        {"month": month_text(f.month), "record_type": f.record_type, "priority": f.priority, "raised": f.raised,
         "resolved": f.resolved, "churn": f.churn, "open_at_month_end": f.open_at_month_end,
         "mean_response_minutes": _rounded(f.mean_response_minutes, 1),
         "mean_resolution_hours": _rounded(f.mean_resolution_hours, 2),
         "response_within_sla_pct": _rounded(f.response_within_sla_pct, 1),
         "resolution_within_sla_pct": _rounded(f.resolution_within_sla_pct, 1)}
        for f in kpis.kpi_csv_rows(period)
    ]


def aged_cases(as_at_text: str | None) -> list[dict]:
    as_at = periods.london_today()
    if as_at_text:
        try:
            if not DAY.match(as_at_text):
                raise ValueError
            as_at = date.fromisoformat(as_at_text)
        except ValueError:
            raise ReportQueryError("as_at is a date written YYYY-MM-DD.", "as_at") from None
    return [
        {"number": case.number, "incident": case.incident or None, "product": case.product,
         "short_description": case.short_description, "opened": case.opened_at, "age_days": case.age_days,
         "age_bucket": case.age_bucket, "state": case.state, "priority": case.priority_code,
         "assignment_group": case.assignment_group, "aged_reason": case.aged_reason}
        for case in aged.aged_cases(as_at, periods.Filters())
    ]


def _moment(value) -> str | None:
    return None if value is None else value.isoformat()


def poll_results(poll) -> dict:
    """The poll's results as its results page shows them: counts, percentages, averages, and free
    text by "Anonymous User n", never by name."""
    results = poll_result_service.poll_results(poll)
    return {
        "id": poll.id, "title": poll.title, "status": results.status, "responses": results.total,
        "questions": [
            {"text": item.question.text, "kind": item.question.kind, "answered": item.answered,
             "options": [{"label": str(option.label), "count": option.count, "percent": option.percent}
                         for option in item.options],
             "average": item.average,
             "texts": [{"respondent": name, "text": text} for name, text in item.texts]}
            for item in results.questions
        ],
    }


def major_incidents(first: str | None, last: str | None) -> list[dict]:
    """The major-incident review of the period: each P1/P2 or major incident's communications and targets
    (met, late, missing, not yet due), and its PIR actions."""
    try:
        period = periods.period_from(first, last)
    except periods.PeriodError as exc:
        raise ReportQueryError(str(exc), "from") from None
    reviews, _total = incident_service.mi_review(period)
    return [
        {"number": review.record.number, "priority": f"P{review.record.priority}", "product": review.record.product,
         "short_description": review.record.short_description, "state": review.record.state,
         "major_incident": review.record.major_incident, "opened_at": review.record.opened_at,
         "resolved_at": review.record.resolved_at,
         "checks": [{"name": check.name, "target": check.target, "status": check.status, "at": _moment(check.at),
                     "due": _moment(check.due)} for check in review.checks],
         "pir_actions": [{"description": action.description, "owner": action.owner_name, "due_date": action.due_date,
                          "status": action.status} for action in review.record.pir_actions]}
        for review in reviews
    ]


def forum_meetings(user) -> list[dict]:
    """Every forum meeting by date, its times in UTC, agenda, and the polls the person may see."""
    upcoming, past = forum_service.upcoming_and_past(periods.london_today())
    polls = forum_service.polls_by_meeting(user)
    meetings = [*reversed(past), *upcoming]
    found = []
    for meeting in meetings:
        start, end = forum_service.meeting_times(meeting)
        found.append({
            "id": meeting.id, "title": meeting.title, "date": meeting.meeting_date, "chair": meeting.chair,
            "starts_at": start.astimezone(UTC), "ends_at": end.astimezone(UTC),
            "agenda": [{"number": item.number, "topic": item.topic, "presenter": item.presenter}
                       for item in meeting.agenda_items],
            "polls": [{"id": poll.id, "title": poll.title, "state": poll.state,
                       "results": external_url("api.poll_results", poll_id=poll.id)}
                      for poll in polls.get(meeting.id, [])],
        })
    return found
