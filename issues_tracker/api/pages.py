"""The API's routes about taking part in an issue: comments, following, "affected too"."""

from __future__ import annotations

from flask_login import current_user

from ..core.transaction import ConflictError, unit_of_work
from ..participation import affected as affected_service
from ..participation import comments as comment_service
from ..participation import follows as follow_service
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
    from flask import request

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
