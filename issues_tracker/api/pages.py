"""The API's routes about taking part in an issue: comments, following, "affected too"."""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user

from ..core.extensions import db
from ..core.transaction import ConflictError, unit_of_work
from ..core.urls import external_url
from ..issues import operations as issue_service
from ..participation import affected as affected_service
from ..participation import comments as comment_service
from ..participation import follows as follow_service
from ..participation import saved_views as saved_view_service
from ..servicedesk.extract import ExtractError, read_records
from ..servicedesk.operations import import_extract
from ..servicedesk.performance import FEED_SOURCE
from ..webhooks import outbox as webhook_outbox
from ..webhooks import subscriptions as webhook_service
from ..webhooks.models import WebhookSubscription
from . import representation, schemas
from .views import EXTRA_VIEWS, ApiProblem, answer, bp, json_body, load, visible_issue

_PROBLEMS = """
        400:
          $ref: '#/components/responses/BadRequest'
        401:
          $ref: '#/components/responses/Unauthorized'
        403:
          $ref: '#/components/responses/Forbidden'
        404:
          $ref: '#/components/responses/NotFound'
        429:
          $ref: '#/components/responses/TooManyRequests'"""


def documented(view):
    """The route's docstring with the answers every write can give, and the route in the document."""
    view.__doc__ = view.__doc__.rstrip() + _PROBLEMS + "\n"
    EXTRA_VIEWS.append(view)
    return view


@bp.post("/issues/<int:issue_id>/comments")
@documented
def add_comment(issue_id: int):
    """Comment on an issue; you follow it from then on.
    ---
    post:
      operationId: addComment
      summary: Comment on an issue
      parameters:
        - issue_id
      requestBody:
        required: true
        content:
          application/json:
            schema: CommentIn
      responses:
        201:
          description: The comment.
          content:
            application/json:
              schema: Comment
        415:
          $ref: '#/components/responses/BadRequest'
        422:
          $ref: '#/components/responses/Unprocessable'
    """
    issue = visible_issue(issue_id)
    data = load(schemas.CommentInSchema(), json_body())
    try:
        with unit_of_work():
            comment = comment_service.add_comment(issue, current_user, data["body"])
    except comment_service.CommentError as exc:
        raise ApiProblem(422, str(exc), errors=[{"field": "body", "message": str(exc)}]) from None
    body = {"id": comment.id, "author": current_user.display_name, "body": comment.body, "hidden_reason": None,
            "created_at": comment.created_at}
    return answer(body, schemas.CommentSchema(), status=201)


def _follow_state(issue) -> dict:
    return {"following": follow_service.is_following(current_user, issue), "followers": follow_service.follower_count(issue)}


@bp.put("/issues/<int:issue_id>/follow")
@documented
def follow(issue_id: int):
    """Follow an issue: be told of its changes as your notification settings say.
    ---
    put:
      operationId: followIssue
      summary: Follow an issue
      parameters:
        - issue_id
      responses:
        200:
          description: You follow it.
          content:
            application/json:
              schema: Follow
    """
    issue = visible_issue(issue_id)
    with unit_of_work():
        follow_service.follow_issue(current_user, issue)
    return answer(_follow_state(issue), schemas.FollowSchema())


@bp.delete("/issues/<int:issue_id>/follow")
@documented
def unfollow(issue_id: int):
    """Stop following an issue (by any route: service, saved view, organisation).
    ---
    delete:
      operationId: unfollowIssue
      summary: Stop following an issue
      parameters:
        - issue_id
      responses:
        200:
          description: You no longer follow it.
          content:
            application/json:
              schema: Follow
    """
    issue = visible_issue(issue_id)
    with unit_of_work():
        follow_service.unfollow_issue(current_user, issue)
    return answer(_follow_state(issue), schemas.FollowSchema())


def _affected_answer(issue):
    return answer(representation.issue_detail(issue, current_user)["affected"], schemas.AffectedSchema())


@bp.put("/issues/<int:issue_id>/affected")
@documented
def declare_affected(issue_id: int):
    """Declare that your organisation is affected too (or change its note); participants, published issues.
    ---
    put:
      operationId: declareAffected
      summary: Declare your organisation affected
      parameters:
        - issue_id
      requestBody:
        required: false
        content:
          application/json:
            schema: AffectedIn
      responses:
        200:
          description: The issue's affected counts now.
          content:
            application/json:
              schema: Affected
        409:
          $ref: '#/components/responses/Conflict'
        415:
          $ref: '#/components/responses/BadRequest'
        422:
          $ref: '#/components/responses/Unprocessable'
    """
    issue = visible_issue(issue_id)
    data = load(schemas.AffectedInSchema(), json_body() if request.get_data() else {})
    try:
        with unit_of_work():
            affected_service.declare_affected(current_user, issue, note=data["note"], meter_points=data["meter_points"])
    except affected_service.AffectedError as exc:
        raise ApiProblem(403 if current_user.is_staff else 409, str(exc)) from None
    except ConflictError:
        raise ApiProblem(409, "Someone in your organisation declared it at the same moment; read the issue again.") from None
    return _affected_answer(issue)


@bp.delete("/issues/<int:issue_id>/affected")
@documented
def withdraw_affected(issue_id: int):
    """Withdraw your organisation's declaration.
    ---
    delete:
      operationId: withdrawAffected
      summary: Withdraw your organisation's declaration
      parameters:
        - issue_id
      responses:
        200:
          description: The issue's affected counts now.
          content:
            application/json:
              schema: Affected
        409:
          $ref: '#/components/responses/Conflict'
    """
    issue = visible_issue(issue_id)
    try:
        with unit_of_work():
            affected_service.withdraw_affected(current_user, issue)
    except affected_service.AffectedError as exc:
        raise ApiProblem(403 if current_user.is_staff else 409, str(exc)) from None
    return _affected_answer(issue)


# ---------------------------------------------------------------- webhooks


def _webhook(subscription, secret: str | None = None) -> dict:
    data = {"id": subscription.id, "url": subscription.url, "events": subscription.event_types, "active": subscription.active,
            "created_at": subscription.created_at}
    if secret:
        data["secret"] = secret
    return data


@bp.post("/webhooks")
@documented
def subscribe_webhook():
    """Subscribe an HTTPS endpoint to events (organisation admins and staff); the answer holds its signing secret, once.
    ---
    post:
      operationId: subscribeWebhook
      summary: Subscribe a webhook
      requestBody:
        required: true
        content:
          application/json:
            schema: WebhookIn
      responses:
        201:
          description: The subscription, with its signing secret (whsec_…), shown only now.
          content:
            application/json:
              schema: Webhook
        415:
          $ref: '#/components/responses/BadRequest'
        422:
          $ref: '#/components/responses/Unprocessable'
    """
    data = load(schemas.WebhookInSchema(), json_body())
    if not webhook_service.may_subscribe(current_user):
        raise ApiProblem(403, "Only organisation admins and the service-management team can subscribe webhooks.")
    try:
        with unit_of_work():
            made = webhook_service.subscribe(current_user, data["url"], data["events"])
    except webhook_service.SubscriptionError as exc:
        raise ApiProblem(422, str(exc), errors=[{"field": exc.field or "url", "message": str(exc)}]) from None
    return answer(_webhook(made.subscription, made.secret), schemas.WebhookSchema(), status=201,
                  headers={"Location": external_url("webhooks.subscription", subscription_id=made.subscription.id)})


@bp.get("/webhooks")
@documented
def list_webhooks():
    """The webhooks you manage (an organisation admin: your organisation's; staff: all).
    ---
    get:
      operationId: listWebhooks
      summary: List webhooks
      responses:
        200:
          description: The subscriptions (without their secrets).
          content:
            application/json:
              schema: WebhookList
        304:
          description: Not modified since the ETag given as If-None-Match.
    """
    items = [_webhook(item) for item in webhook_service.subscriptions_for(current_user)]
    return answer({"items": items}, schemas.WebhookListSchema())


@bp.delete("/webhooks/<int:subscription_id>")
@documented
def remove_webhook(subscription_id: int):
    """Remove a webhook: nothing more is sent to it.
    ---
    delete:
      operationId: removeWebhook
      summary: Remove a webhook
      parameters:
        - name: subscription_id
          in: path
          required: true
          schema:
            type: integer
            minimum: 1
            maximum: 2147483647
      responses:
        204:
          description: Removed.
    """
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None or not webhook_service.may_manage(current_user, subscription):
        raise ApiProblem(404, "There is no webhook with that id that you manage.")
    with unit_of_work():
        webhook_service.remove(subscription)
    return Response(status=204)


# ---------------------------------------------------------------- the service desk's live feed

MAX_FEED_RECORDS = 10_000


@bp.post("/servicedesk/records")
@documented
def feed_records():
    """Add or update service-desk records by Number, in the extract's column labels and rules (staff tokens).
    All or nothing: one bad record and none is stored, and every bad record is listed by its position.
    ---
    post:
      operationId: feedServiceDeskRecords
      summary: Feed service-desk records
      requestBody:
        required: true
        content:
          application/json:
            schema: FeedIn
      responses:
        200:
          description: What the records changed.
          content:
            application/json:
              schema: FeedOutcome
        415:
          $ref: '#/components/responses/BadRequest'
        422:
          $ref: '#/components/responses/Unprocessable'
    """
    if not current_user.is_staff:
        raise ApiProblem(403, "Only the service-management team's tokens can feed service-desk records.")
    data = load(schemas.FeedInSchema(), json_body())
    records = data["records"]
    if len(records) > MAX_FEED_RECORDS:
        raise ApiProblem(422, f"Send at most {MAX_FEED_RECORDS:,} records a request.",
                         errors=[{"field": "records", "message": f"At most {MAX_FEED_RECORDS:,}."}])
    try:
        extract = read_records(records)
    except ExtractError as exc:
        errors = [{"field": f"records.{problem.line - 1}", "message": problem.reason} for problem in exc.problems]
        raise ApiProblem(422, exc.message, errors=errors or [{"field": "records", "message": exc.message}]) from None
    incidents = [row.number for row in extract.rows if row.record_type == "incident"]
    with unit_of_work():
        before = webhook_outbox.incidents_as_they_are(incidents)
        outcome = import_extract(extract, user=current_user, filename="API feed", source=FEED_SOURCE)
        webhook_outbox.add_events(webhook_outbox.incident_events(before, incidents))
    return answer({"received": outcome.rows, "added": outcome.added, "updated": outcome.updated,
                   "unchanged": outcome.unchanged}, schemas.FeedOutcomeSchema())


# ---------------------------------------------------------------- actions and saved views


@bp.post("/issues/<int:issue_id>/actions")
@documented
def add_action(issue_id: int):
    """Add an action to an issue, with its owner and due date (staff); journalled.
    ---
    post:
      operationId: addAction
      summary: Add an action
      parameters:
        - issue_id
      requestBody:
        required: true
        content:
          application/json:
            schema: ActionIn
      responses:
        201:
          description: The action.
          content:
            application/json:
              schema: Action
        409:
          $ref: '#/components/responses/Conflict'
        415:
          $ref: '#/components/responses/BadRequest'
        422:
          $ref: '#/components/responses/Unprocessable'
    """
    issue = visible_issue(issue_id)
    if not current_user.is_staff:
        raise ApiProblem(403, "Only the service-management team adds actions to issues.")
    data = load(schemas.ActionInSchema(), json_body())
    try:
        with unit_of_work():
            action = issue_service.add_action(issue, current_user, data)
    except ConflictError:
        raise ApiProblem(409, "The issue changed at the same moment; nothing was stored. Send the action again.") from None
    return answer({"id": action.id, "description": action.description, "owner": action.owner_name,
                   "due_date": action.due_date, "status": action.status}, schemas.ActionSchema(), status=201)


@bp.get("/views")
@documented
def saved_views():
    """Your saved views of the issues list, each with the address of its issues through the API.
    ---
    get:
      operationId: listSavedViews
      summary: Your saved views
      responses:
        200:
          description: The views.
          content:
            application/json:
              schema: SavedViewList
    """
    followed = saved_view_service.followed_view_ids(current_user)
    items = [{"id": view.id, "name": view.name, "query": view.query, "following": view.id in followed,
              "issues": external_url("api.list_issues") + (f"?{view.query}" if view.query else "")}
             for view in saved_view_service.views_of(current_user)]
    return answer({"items": items}, schemas.SavedViewListSchema())
