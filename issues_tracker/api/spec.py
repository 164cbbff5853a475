"""The OpenAPI 3.1 document, generated from the API's routes (their docstrings name each operation's
parameters and answers) and its marshmallow schemas (apispec), once per app."""

from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec_webframeworks.flask import FlaskPlugin
from flask import current_app

from . import schemas

DESCRIPTION = """The Industry Issues Tracker's JSON API.

Send a token as `Authorization: Bearer <token>` (make one on your account's security page).
A token sees what its owner sees; a read token can only read. Lists are paged with an opaque
`cursor` (follow the `Link: <...>; rel="next"` header or `next_cursor`). Answers carry an `ETag`;
send it as `If-None-Match` to be told `304 Not Modified`. Update an issue with its `version`
as `If-Match`: a changed issue answers `412`. Errors are `application/problem+json` (RFC 9457),
with each field's problem in `errors`. Times are ISO 8601 in UTC. Requests are limited per
token (the `RateLimit-*` headers say how many remain; `429` when spent)."""

# Leaves before the schemas that nest them, so a nested one is referred to by the same name.
COMPONENT_SCHEMAS = (
    schemas.IssueSummarySchema, schemas.IssueListSchema, schemas.JournalEntrySchema, schemas.ActionSchema,
    schemas.CommentSchema, schemas.AffectedSchema, schemas.IssueDetailSchema, schemas.IssueSubmissionSchema,
    schemas.IssueUpdateSchema, schemas.CommentInSchema, schemas.AffectedInSchema, schemas.FollowSchema,
    schemas.WebhookInSchema, schemas.WebhookSchema, schemas.WebhookListSchema, schemas.FeedInSchema,
    schemas.FeedOutcomeSchema, schemas.LogEditionSchema, schemas.LogEditionListSchema, schemas.ForumActionSchema,
    schemas.ForumActionListSchema, schemas.KpiRowSchema, schemas.KpiListSchema, schemas.AgedCaseSchema,
    schemas.AgedCaseListSchema, schemas.PollOptionSchema, schemas.PollTextSchema, schemas.PollQuestionResultSchema,
    schemas.PollResultsSchema, schemas.IncidentCheckSchema, schemas.PirActionSchema, schemas.MajorIncidentSchema,
    schemas.MajorIncidentListSchema, schemas.AgendaItemSchema, schemas.MeetingPollSchema, schemas.MeetingSchema,
    schemas.MeetingListSchema, schemas.ActionInSchema, schemas.SavedViewSchema, schemas.SavedViewListSchema,
    schemas.FieldProblemSchema,
    schemas.ProblemSchema,
)

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
STANDARD_RESPONSES = {
    "BadRequest": "The request is not valid: see `errors`.",
    "Unauthorized": "No usable token: missing, unknown, expired or revoked.",
    "Forbidden": "The token's owner (or its scope) may not do this.",
    "NotFound": "No such record, or one the token's owner may not see.",
    "Conflict": "The change conflicts with the record's current state.",
    "PreconditionFailed": "The record changed since the version given in If-Match.",
    "PreconditionRequired": "Send the record's version in If-Match.",
    "Unprocessable": "The values are not valid: see `errors`.",
    "TooManyRequests": "Too many requests with this token; wait as Retry-After says.",
}


def build_spec(views, list_parameters: list[dict]) -> dict:
    spec = APISpec(
        title="Industry Issues Tracker API", version="1.0.0", openapi_version="3.1.0",
        plugins=[FlaskPlugin(), MarshmallowPlugin()],
        info={"description": DESCRIPTION},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for schema in COMPONENT_SCHEMAS:
        spec.components.schema(schema.__name__.removesuffix("Schema"), schema=schema)
    for name, description in STANDARD_RESPONSES.items():
        spec.components.response(name, {"description": description, "content": PROBLEM})
    spec.components.parameter("issue_id", "path", {"description": "The issue's number (IIT-0042 is 42).",
                                                   "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}})
    for view in views:
        spec.path(view=view, app=current_app)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    document["paths"]["/api/v1/issues"]["get"]["parameters"] = list_parameters
    return document


def openapi_document(views, list_parameters: list[dict]) -> dict:
    cached = current_app.extensions.get("api_openapi")
    if cached is None:
        cached = current_app.extensions["api_openapi"] = build_spec(views, list_parameters)
    return cached
