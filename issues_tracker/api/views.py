"""The JSON API under /api/v1: a bearer token on every request (a browser's session cookie is not
enough), problem+json errors, the OpenAPI document and its reference page, and the issues.

Each route's docstring (after "---") is its OpenAPI operation; api/spec.py puts them together with
the schemas of api/schemas.py.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import re
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, request, send_from_directory
from flask_login import current_user
from marshmallow import ValidationError

from ..core.extensions import csrf, db, limiter
from ..core.problems import problem
from ..core.transaction import ConflictError, unit_of_work
from ..core.urls import external_url
from ..issues import operations as issue_service
from ..issues import queries as issue_queries
from ..issues.access import can_view_issue
from ..issues.fields import format_service_desk_refs
from ..issues.forms import IssueFilterForm
from ..issues.listing import parse_filters, staff_choices
from ..issues.models import Issue
from ..participation import follows as follow_service
from . import representation, schemas
from . import tokens as api_tokens
from .spec import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1", static_folder="static", static_url_path="/static")
csrf.exempt(bp)  # a token, not a cookie, authenticates these requests: there is no cross-site form to forge

PUBLIC_ENDPOINTS = {"api.openapi", "api.reference", "api.static"}
TOKEN_IN_SESSION = api_tokens.TOKEN_IN_SESSION  # the journal names the token a change came through


class ApiProblem(Exception):
    def __init__(self, status: int, detail: str, errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.status, self.detail, self.errors, self.headers = status, detail, errors, headers


@bp.errorhandler(ApiProblem)
def _api_problem(error: ApiProblem):
    db.session.rollback()
    return problem(error.status, error.detail, errors=error.errors, headers=error.headers)


def _rate_key() -> str:
    """Requests are counted per token (by its hash, so the limit is checked before any lookup)."""
    header = request.headers.get("Authorization", "")
    return "api:" + hashlib.sha256(header.encode()).hexdigest()[:32]


limiter.limit(
    lambda: current_app.config["API_RATE_LIMIT"], key_func=_rate_key,
    exempt_when=lambda: request.endpoint in PUBLIC_ENDPOINTS,
)(bp)


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise ApiProblem(401, "Send an API token as “Authorization: Bearer <token>”; a signed-in browser is not enough.",
                         headers={"WWW-Authenticate": 'Bearer realm="api"'})
    token = api_tokens.find_token(presented.strip())
    if token is None:
        raise ApiProblem(401, "That token is not valid: it is unknown, expired or revoked.",
                         headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    g.api_token = token
    g._login_user = token.user  # current_user is the token's owner for this request, and no session is used
    if request.method not in ("GET", "HEAD", "OPTIONS") and not token.can_write:
        raise ApiProblem(403, "This token can only read; make a read-and-write token to change things.",
                         headers={"WWW-Authenticate": 'Bearer realm="api", error="insufficient_scope"'})
    if api_tokens.use_worth_noting(token):
        with unit_of_work():
            api_tokens.note_use(token)
    db.session.info[TOKEN_IN_SESSION] = token.name
    return None


GZIP_FROM_BYTES = 1024


@bp.after_request
def forget_the_token_and_compress(response: Response) -> Response:
    db.session.info.pop(TOKEN_IN_SESSION, None)
    response.vary.add("Accept-Encoding")
    if (
        "gzip" in request.headers.get("Accept-Encoding", "").lower()
        and response.status_code == 200 and not response.direct_passthrough
        and response.mimetype in ("application/json", "application/problem+json")
        and "Content-Encoding" not in response.headers
    ):
        body = response.get_data()
        if len(body) >= GZIP_FROM_BYTES:
            response.set_data(gzip.compress(body, compresslevel=6))
            response.headers["Content-Encoding"] = "gzip"
    return response


# ---------------------------------------------------------------- helpers


def json_body() -> dict:
    """The request's JSON object; a problem (never a 500) for anything else."""
    if not request.is_json:
        raise ApiProblem(415 if request.data else 400, "Send a JSON object with Content-Type: application/json.")
    try:
        body = json.loads(request.get_data(as_text=True) or "null")
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiProblem(400, "The body must be a JSON object.")
    return body


def load(schema, body: dict) -> dict:
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise ApiProblem(422, "Some values are not valid; nothing was changed.", errors=field_errors(exc.messages)) from None


def field_errors(messages, prefix: str = "") -> list[dict]:
    found = []
    items = messages.items() if isinstance(messages, dict) else [("", messages)]
    for name, value in items:
        path = f"{prefix}.{name}" if prefix and name != "" else (str(name) or prefix)
        if isinstance(value, dict):
            found += field_errors(value, path)
        else:
            for message in value if isinstance(value, list) else [value]:
                if isinstance(message, dict):
                    found += field_errors(message, path)
                else:
                    found.append({"field": path, "message": str(message)})
    return found


def answer(data, schema, status: int = 200, headers: dict | None = None) -> Response:
    """A JSON answer in the schema's shape, with an ETag; 304 when it matches If-None-Match."""
    body = json.dumps(schema.dump(data), separators=(",", ":"), ensure_ascii=False)
    response = Response(body, status=status, mimetype="application/json", headers=headers)
    if status == 200 and request.method == "GET":
        response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
        response.make_conditional(request)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Authorization")
    return response


def visible_issue(issue_id: int) -> Issue:
    """The issue, or 404 when it does not exist or the token's owner may not see it (the same answer)."""
    issue = db.session.get(Issue, issue_id)
    if issue is None or not can_view_issue(current_user, issue):
        raise ApiProblem(404, "There is no issue with that id that you can see.")
    return issue


def staff_only() -> None:
    if not current_user.is_staff:
        raise ApiProblem(403, "Only the service-management team can do this.")


def _cursor(page: int) -> str:
    return base64.urlsafe_b64encode(f"page:{page}".encode()).decode().rstrip("=")


def _page_of(cursor: str | None) -> int:
    if not cursor:
        return 1
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    match = re.fullmatch(r"page:([1-9][0-9]{0,5})", text)
    if not match:
        raise ApiProblem(400, "The cursor is not one this API gave.",
                         errors=[{"field": "cursor", "message": "Not a valid cursor."}])
    return int(match.group(1))


# ---------------------------------------------------------------- the document


def _api_views():
    return [openapi, list_issues, create_issue, issue_detail, update_issue, *EXTRA_VIEWS]


EXTRA_VIEWS: list = []  # routes of pages.py, added as it is imported


def _list_parameters() -> list[dict]:
    """The list's query: the filters of /issues (from its filter form's choices), the cursor and the page size."""
    form_class = IssueFilterForm
    parameters = [{"name": "q", "in": "query", "description": "Words to search for.",
                   "schema": {"type": "string", "maxLength": 200}}]
    for name in form_class.FILTER_FIELDS[1:] + ("sort",):
        field = getattr(form_class, name)
        codes = [str(code) for code, _ in field.kwargs.get("choices", [])]
        schema = {"type": "string", "enum": codes} if codes and name != "owner" else {"type": "string", "maxLength": 20}
        parameters.append({"name": name, "in": "query", "description": field.args[0] if field.args else name,
                           "schema": schema})
    parameters += [
        {"name": "cursor", "in": "query", "description": "The next page's cursor, from next_cursor or the Link header.",
         "schema": {"type": "string", "maxLength": 40}},
        {"name": "limit", "in": "query", "description": "Issues per page (default 25).",
         "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
    ]
    return parameters


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI document of this API.
    ---
    get:
      operationId: getOpenApi
      summary: This document
      security: []
      responses:
        200:
          description: The OpenAPI 3.1 document.
          content:
            application/json:
              schema:
                type: object
    """
    response = Response(json.dumps(openapi_document(_api_views(), _list_parameters())), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/")
def reference():
    """The readable reference: a page of the app's own that renders the document."""
    return send_from_directory(bp.static_folder, "reference.html", max_age=300)


# ---------------------------------------------------------------- issues


LIST_DOC_PARAMETERS = ("q", "service", "status", "resolution_status", "impact", "next_run", "severity", "owner", "triage",
                       "stale", "org", "sort", "cursor", "limit")


@bp.get("/issues")
def list_issues():
    """The issues the token's owner may see, with the same filters and sorts as /issues.
    ---
    get:
      operationId: listIssues
      summary: List issues
      responses:
        200:
          description: A page of issues; the Link header names the next page.
          content:
            application/json:
              schema: IssueList
        304:
          description: Not modified since the ETag given as If-None-Match.
        400:
          $ref: '#/components/responses/BadRequest'
        401:
          $ref: '#/components/responses/Unauthorized'
        429:
          $ref: '#/components/responses/TooManyRequests'
    """
    args = request.args.to_dict()
    page = _page_of(args.pop("cursor", None))
    limit_text = args.pop("limit", "") or str(current_app.config["ISSUES_PER_PAGE"])
    if not (limit_text.isascii() and limit_text.isdigit() and 1 <= int(limit_text) <= 100):
        raise ApiProblem(400, "The limit is a number from 1 to 100.", errors=[{"field": "limit", "message": "1 to 100."}])
    per_page = int(limit_text)
    args.pop("page", None)
    form, query, _page, valid = parse_filters(args, current_user, menu=False)
    unknown = sorted(set(args) - set(LIST_DOC_PARAMETERS))
    if not valid or unknown:
        errors = [{"field": name, "message": " ".join(messages)} for name, messages in form.errors.items()]
        errors += [{"field": name, "message": "Not a filter of this list."} for name in unknown]
        raise ApiProblem(400, "Some filters are not valid.", errors=errors)
    stale_days = current_app.config["STALE_AFTER_DAYS"]
    total = issue_queries.count_issues(query, current_user, stale_after_days=stale_days)
    if query.search is not None:
        total = min(total, issue_queries.search_queries.COUNT_CAP)
    pick = issue_queries.ranked_page if query.ranked else issue_queries.issues_page
    rows, _excerpts = pick(query, current_user, page=page, per_page=per_page, total=total, stale_after_days=stale_days)
    more = page < math.ceil(total / per_page)
    next_cursor = _cursor(page + 1) if more else None
    headers = {}
    if next_cursor:
        link_args = query.args() | {"cursor": next_cursor, "limit": per_page}
        headers["Link"] = f'<{request.base_url}?{urlencode(link_args)}>; rel="next"'
    data = {"items": [representation.issue_summary(row) for row in rows], "total": total, "next_cursor": next_cursor}
    return answer(data, schemas.IssueListSchema(), headers=headers)


@bp.post("/issues")
def create_issue():
    """Submit an issue; it awaits triage, seen by your organisation and staff until published.
    ---
    post:
      operationId: createIssue
      summary: Submit an issue
      requestBody:
        required: true
        content:
          application/json:
            schema: IssueSubmission
      responses:
        201:
          description: The new issue.
          content:
            application/json:
              schema: IssueDetail
        400:
          $ref: '#/components/responses/BadRequest'
        401:
          $ref: '#/components/responses/Unauthorized'
        403:
          $ref: '#/components/responses/Forbidden'
        415:
          $ref: '#/components/responses/BadRequest'
        422:
          $ref: '#/components/responses/Unprocessable'
        429:
          $ref: '#/components/responses/TooManyRequests'
    """
    data = load(schemas.IssueSubmissionSchema(), json_body())
    user = current_user._get_current_object()
    if "service_desk_refs" in data:
        data["service_desk_refs"] = format_service_desk_refs(data["service_desk_refs"])
    with unit_of_work():
        issue = issue_service.submit_issue(data, user)
        follow_service.follow_issue(user, issue, reason="submitted")
    return answer(representation.issue_detail(issue, user), schemas.IssueDetailSchema(), status=201,
                  headers={"Location": external_url("api.issue_detail", issue_id=issue.id)})


@bp.get("/issues/<int:issue_id>")
def issue_detail(issue_id: int):
    """One issue with its journal, actions, comments and affected counts.
    ---
    get:
      operationId: getIssue
      summary: An issue
      parameters:
        - issue_id
      responses:
        200:
          description: The issue.
          content:
            application/json:
              schema: IssueDetail
        304:
          description: Not modified since the ETag given as If-None-Match.
        401:
          $ref: '#/components/responses/Unauthorized'
        404:
          $ref: '#/components/responses/NotFound'
        429:
          $ref: '#/components/responses/TooManyRequests'
    """
    issue = visible_issue(issue_id)
    return answer(representation.issue_detail(issue, current_user), schemas.IssueDetailSchema(),
                  headers={"X-Issue-Version": str(issue.version)})


def _expected_version() -> int:
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise ApiProblem(428, "Send the issue's version (from its detail) as If-Match, "
                              "so a change made meanwhile is not overwritten.")
    match = re.fullmatch(r'(?:W/)?"?([0-9]{1,9})(?:-[0-9a-f]*)?"?', header)
    if not match:
        raise ApiProblem(412, "If-Match must hold the issue's version, as its detail gives it.")
    return int(match.group(1))


@bp.patch("/issues/<int:issue_id>")
def update_issue(issue_id: int):
    """Change an issue (staff): the fields sent change, each journalled; If-Match holds the version you read.
    ---
    patch:
      operationId: updateIssue
      summary: Update an issue
      parameters:
        - issue_id
        - name: If-Match
          in: header
          required: true
          description: The issue's version, as its detail's `version` gives it.
          schema:
            type: string
            pattern: '^[0-9]{1,9}$'
      requestBody:
        required: true
        content:
          application/json:
            schema: IssueUpdate
      responses:
        200:
          description: The issue as it is now.
          content:
            application/json:
              schema: IssueDetail
        400:
          $ref: '#/components/responses/BadRequest'
        401:
          $ref: '#/components/responses/Unauthorized'
        403:
          $ref: '#/components/responses/Forbidden'
        404:
          $ref: '#/components/responses/NotFound'
        412:
          $ref: '#/components/responses/PreconditionFailed'
        415:
          $ref: '#/components/responses/BadRequest'
        422:
          $ref: '#/components/responses/Unprocessable'
        428:
          $ref: '#/components/responses/PreconditionRequired'
        429:
          $ref: '#/components/responses/TooManyRequests'
    """
    issue = visible_issue(issue_id)
    staff_only()
    expected = _expected_version()
    data = load(schemas.IssueUpdateSchema(), json_body())
    note = data.pop("progress_note", "") or ""
    if "service_desk_refs" in data:
        data["service_desk_refs"] = format_service_desk_refs(data["service_desk_refs"])
    if data.get("owner_id") is not None:
        if data["owner_id"] not in {user_id for user_id, _ in staff_choices()}:
            raise ApiProblem(422, "The owner must be a member of staff.",
                             errors=[{"field": "owner_id", "message": "Not a member of staff."}])
    if expected != issue.version:
        raise ApiProblem(412, f"{issue.reference} changed since version {expected}; it is at version {issue.version}. "
                              "Read it again and send your change with the new version.")
    try:
        with unit_of_work():
            issue_service.update_issue(issue, data, current_user, expected_version=expected, note=note)
    except issue_service.IssueRuleError as exc:
        raise ApiProblem(422, str(exc), errors=[{"field": "resolution_description", "message": str(exc)}]) from None
    except ConflictError:
        raise ApiProblem(412, f"{issue.reference} changed at the same moment; read it again and send your change.") from None
    return answer(representation.issue_detail(issue, current_user), schemas.IssueDetailSchema())


from . import listing, pages  # noqa: E402,F401  (the API's other routes, on this blueprint)
