"""The API's read-only resources of other parts: the Monday log's editions, the forum's actions log,
polls' anonymous results, and the performance figures (kpis.csv, aged.csv, the major-incident review)."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from ..core.extensions import db
from ..polls.models import Poll
from ..polls.operations import can_view_poll
from . import reports, schemas
from .pages import documented
from .views import ApiProblem, answer, bp


def _report(read, schema, *args):
    try:
        items = read(*args)
    except reports.ReportQueryError as exc:
        raise ApiProblem(400, str(exc), errors=[{"field": exc.field, "message": str(exc)}]) from None
    return answer({"items": items}, schema)


@bp.get("/log/editions")
@documented
def log_editions():
    """The Monday issues log's published editions, newest first, with the latest PDF of each week.
    ---
    get:
      operationId: listLogEditions
      summary: Monday log editions
      responses:
        200:
          description: Every published edition.
          content:
            application/json:
              schema: LogEditionList
    """
    return _report(reports.log_editions, schemas.LogEditionListSchema())


@bp.get("/forum/actions")
@documented
def forum_actions():
    """The Service Management Forum's actions log (SMF-n).
    ---
    get:
      operationId: listForumActions
      summary: Forum actions log
      parameters:
        - name: status
          in: query
          schema:
            type: string
            enum: [Open, Propose Close, Closed, not-closed]
      responses:
        200:
          description: The actions, by number.
          content:
            application/json:
              schema: ForumActionList
    """
    return _report(reports.forum_actions, schemas.ForumActionListSchema(), request.args.get("status", ""))


@bp.get("/performance/kpis")
@documented
def performance_kpis():
    """The monthly KPIs of kpis.csv: one row per month × record type × priority (and all).
    ---
    get:
      operationId: listKpis
      summary: Monthly KPIs
      parameters:
        - name: from
          in: query
          schema:
            type: string
            pattern: '^[0-9]{4}-[0-9]{2}$'
        - name: to
          in: query
          schema:
            type: string
            pattern: '^[0-9]{4}-[0-9]{2}$'
      responses:
        200:
          description: The rows.
          content:
            application/json:
              schema: KpiList
    """
    return _report(reports.kpi_rows, schemas.KpiListSchema(), request.args.get("from"), request.args.get("to"))


@bp.get("/performance/aged")
@documented
def performance_aged():
    """The aged cases of aged.csv: every case not yet closed, aged in days at `as_at` (default today).
    ---
    get:
      operationId: listAgedCases
      summary: Aged cases
      parameters:
        - name: as_at
          in: query
          schema:
            type: string
            format: date
      responses:
        200:
          description: The cases.
          content:
            application/json:
              schema: AgedCaseList
    """
    return _report(reports.aged_cases, schemas.AgedCaseListSchema(), request.args.get("as_at"))


@bp.get("/performance/major-incidents")
@documented
def major_incidents():
    """The major-incident review of the months asked for: communications and targets, and PIR actions.
    ---
    get:
      operationId: listMajorIncidents
      summary: Major-incident review
      parameters:
        - name: from
          in: query
          schema:
            type: string
            pattern: '^[0-9]{4}-[0-9]{2}$'
        - name: to
          in: query
          schema:
            type: string
            pattern: '^[0-9]{4}-[0-9]{2}$'
      responses:
        200:
          description: The incidents, newest first.
          content:
            application/json:
              schema: MajorIncidentList
    """
    return _report(reports.major_incidents, schemas.MajorIncidentListSchema(), request.args.get("from"),
                   request.args.get("to"))


@bp.get("/polls/<int:poll_id>/results")
@documented
def poll_results(poll_id: int):
    """A poll's results, live while it is open; free text is shown as "Anonymous User n".
    ---
    get:
      operationId: getPollResults
      summary: A poll's results
      parameters:
        - name: poll_id
          in: path
          required: true
          schema:
            type: integer
            minimum: 1
            maximum: 2147483647
      responses:
        200:
          description: The results.
          content:
            application/json:
              schema: PollResults
    """
    poll = db.session.get(Poll, poll_id)
    if poll is None or not can_view_poll(current_user, poll):
        raise ApiProblem(404, "There is no poll with that id that you can see.")
    return answer(reports.poll_results(poll), schemas.PollResultsSchema())


@bp.get("/forum/meetings")
@documented
def forum_meetings():
    """The Service Management Forum's meetings by date, with agenda and polls.
    ---
    get:
      operationId: listForumMeetings
      summary: Forum meetings
      responses:
        200:
          description: The meetings.
          content:
            application/json:
              schema: MeetingList
    """
    return _report(reports.forum_meetings, schemas.MeetingListSchema(), current_user)
