"""The API's request and response bodies as marshmallow schemas: they check what comes in, and the
OpenAPI document is generated from them (api/spec.py), so the reference cannot drift from the code.

An issue's writable fields come from the tracker's field declarations (issues/fields.py): the same
names, lengths and choices as the forms.
"""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, ValidationError, fields, validate

from ..core import choices
from ..issues import fields as issue_fields
from ..webhooks.models import EVENT_TYPES

SENSIBLE_DATES = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31), error="Enter a date between 2000 and 2100.")


def _checked_by(parse):
    def check(value):
        try:
            parse(value)
        except issue_fields.FieldError as exc:
            raise ValidationError(str(exc)) from None

    return check


def _field_for(field: issue_fields.Field, *, required: bool):
    """The marshmallow field that takes one tracker field's value, as its form does."""
    kw = {"required": required, "metadata": {"description": field.help or field.label}}
    if field.kind in ("line", "text"):
        return fields.String(validate=validate.Length(min=field.min_length if required else 0, max=field.max_length), **kw)
    if field.kind == "choice":
        return fields.String(validate=validate.OneOf(field.codes), **kw)
    if field.kind == "choices":
        return fields.List(fields.String(validate=validate.OneOf(field.codes)), validate=validate.Length(max=20), **kw)
    if field.kind == "severity":
        return fields.Integer(validate=validate.OneOf(field.codes), strict=True, **kw)
    if field.kind == "party_count":
        return fields.String(validate=[validate.Length(max=field.max_length), _checked_by(issue_fields.parse_party_count)], **kw)
    if field.kind == "refs":
        return fields.String(
            validate=[validate.Length(max=field.max_length), _checked_by(issue_fields.format_service_desk_refs)], **kw
        )
    if field.kind == "owner":
        return fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1), **kw)
    if field.kind == "date":
        return fields.Date(allow_none=True, validate=SENSIBLE_DATES, **kw)
    raise ValueError(field.kind)


SUBMISSION_FIELDS = [f for f in issue_fields.FIELDS if f.set_by == "submitter"]
STAFF_UPDATE_FIELDS = list(issue_fields.FIELDS)

IssueSubmissionSchema = Schema.from_dict(
    {f.name: _field_for(f, required=bool(f.required)) for f in SUBMISSION_FIELDS}, name="IssueSubmission"
)
IssueUpdateSchema = Schema.from_dict(
    {f.name: _field_for(f, required=False) for f in STAFF_UPDATE_FIELDS}
    | {"progress_note": fields.String(validate=validate.Length(max=5_000),
                                      metadata={"description": "A public progress note, journalled with the change."})},
    name="IssueUpdate",
)


class CommentInSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=5_000),
                         metadata={"description": "Plain text or a little Markdown."})


class AffectedInSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=1_000))
    meter_points = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(min=0, max=100_000_000)
    )


class WebhookInSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=2000),
                        metadata={"description": "The HTTPS address events are posted to."})
    events = fields.List(fields.String(validate=validate.OneOf(EVENT_TYPES)), required=True,
                         validate=validate.Length(min=1, max=len(EVENT_TYPES)))


class FeedInSchema(Schema):
    records = fields.List(
        fields.Dict(keys=fields.String(validate=validate.Length(max=100))), required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Records keyed by the extract's column labels: Number, Opened, Priority, State, "
                                 "Short description, Assignment group, Product, Responded, Resolved, Closed, …"},
    )


# ---------------------------------------------------------------- responses


class IssueSummarySchema(Schema):
    id = fields.Integer(required=True)
    reference = fields.String(required=True, metadata={"example": "IIT-0001"})
    summary = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": choices.STATUS_CODES})
    severity = fields.Integer(required=True)
    services = fields.List(fields.String(), required=True)
    triage_state = fields.String(required=True)
    resolution_status = fields.String(required=True)
    next_run_resolves = fields.String(required=True)
    affected_org_count = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    last_update_at = fields.DateTime(required=True)
    resolved_at = fields.DateTime(allow_none=True, required=True)
    owner = fields.String(allow_none=True, required=True)
    url = fields.String(required=True, metadata={"description": "The issue's page."})


class IssueListSchema(Schema):
    items = fields.List(fields.Nested(IssueSummarySchema), required=True)
    total = fields.Integer(required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class JournalEntrySchema(Schema):
    at = fields.DateTime(required=True)
    kind = fields.String(required=True)
    by = fields.String(allow_none=True, required=True)
    via = fields.String(allow_none=True, required=True,
                        metadata={"description": "The API token's name, for a change made through the API."})
    field = fields.String(allow_none=True, required=True)
    old_value = fields.String(required=True)
    new_value = fields.String(required=True)
    note = fields.String(required=True)


class ActionSchema(Schema):
    id = fields.Integer(required=True)
    description = fields.String(required=True)
    owner = fields.String(required=True)
    due_date = fields.Date(allow_none=True, required=True)
    status = fields.String(required=True)


class CommentSchema(Schema):
    id = fields.Integer(required=True)
    author = fields.String(allow_none=True, required=True)
    body = fields.String(allow_none=True, required=True, metadata={"description": "Null when staff hid the comment."})
    hidden_reason = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)


class AffectedSchema(Schema):
    organisations = fields.Integer(required=True)
    suppliers = fields.Integer(required=True)
    distributors = fields.Integer(required=True)
    others = fields.Integer(required=True)
    declared_by_my_organisation = fields.Boolean(required=True)


class IssueDetailSchema(IssueSummarySchema):
    description = fields.String(required=True)
    messages = fields.List(fields.String(), required=True)
    root_cause = fields.String(required=True)
    root_cause_certainty = fields.String(required=True)
    impact_assessment = fields.String(required=True)
    supplier_impact = fields.String(required=True)
    distributor_impact = fields.String(required=True)
    settlement_impact = fields.String(required=True)
    action_underway = fields.String(required=True)
    resolution_description = fields.String(required=True)
    dependencies = fields.String(required=True)
    parties_responsible = fields.String(required=True)
    service_desk_refs = fields.String(required=True)
    target_date = fields.Date(allow_none=True, required=True)
    organisation = fields.String(required=True)
    published_at = fields.DateTime(allow_none=True, required=True)
    version = fields.Integer(required=True, metadata={"description": "Send it back as If-Match to update the issue."})
    following = fields.Boolean(required=True)
    journal = fields.List(fields.Nested(JournalEntrySchema), required=True)
    actions = fields.List(fields.Nested(ActionSchema), required=True)
    comments = fields.List(fields.Nested(CommentSchema), required=True)
    affected = fields.Nested(AffectedSchema, required=True)


class FollowSchema(Schema):
    following = fields.Boolean(required=True)
    followers = fields.Integer(required=True)


class WebhookSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    secret = fields.String(metadata={"description": "The signing secret (whsec_…), only in the answer that made it."})


class WebhookListSchema(Schema):
    items = fields.List(fields.Nested(WebhookSchema), required=True)


class FieldProblemSchema(Schema):
    field = fields.String(required=True)
    message = fields.String(required=True)


class ProblemSchema(Schema):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldProblemSchema))


class FeedOutcomeSchema(Schema):
    received = fields.Integer(required=True)
    added = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)


class LogEditionSchema(Schema):
    week_commencing = fields.Date(required=True)
    revision = fields.Integer(required=True)
    published_at = fields.DateTime(required=True)
    latest = fields.Boolean(required=True)
    pdf = fields.String(allow_none=True, required=True, metadata={"description": "The latest revision's PDF."})


class LogEditionListSchema(Schema):
    items = fields.List(fields.Nested(LogEditionSchema), required=True)


class ForumActionSchema(Schema):
    code = fields.String(required=True, metadata={"example": "SMF-13"})
    description = fields.String(required=True)
    owner = fields.String(required=True)
    date_raised = fields.Date(required=True)
    status = fields.String(required=True)
    updated_at = fields.DateTime(required=True)


class ForumActionListSchema(Schema):
    items = fields.List(fields.Nested(ForumActionSchema), required=True)


class KpiRowSchema(Schema):
    month = fields.String(required=True, metadata={"example": "2026-03"})
    record_type = fields.String(required=True)
    priority = fields.String(required=True)
    raised = fields.Integer(required=True)
    resolved = fields.Integer(required=True)
    churn = fields.Integer(required=True)
    open_at_month_end = fields.Integer(required=True)
    mean_response_minutes = fields.Float(allow_none=True, required=True)
    mean_resolution_hours = fields.Float(allow_none=True, required=True)
    response_within_sla_pct = fields.Float(allow_none=True, required=True)
    resolution_within_sla_pct = fields.Float(allow_none=True, required=True)


class KpiListSchema(Schema):
    items = fields.List(fields.Nested(KpiRowSchema), required=True)


class AgedCaseSchema(Schema):
    number = fields.String(required=True)
    incident = fields.String(allow_none=True, required=True)
    product = fields.String(required=True)
    short_description = fields.String(required=True)
    opened = fields.DateTime(required=True)
    age_days = fields.Integer(required=True)
    age_bucket = fields.String(required=True)
    state = fields.String(required=True)
    priority = fields.String(required=True)
    assignment_group = fields.String(required=True)
    aged_reason = fields.String(required=True)


class AgedCaseListSchema(Schema):
    items = fields.List(fields.Nested(AgedCaseSchema), required=True)


class PollOptionSchema(Schema):
    label = fields.String(required=True)
    count = fields.Integer(required=True)
    percent = fields.Integer(required=True)


class PollTextSchema(Schema):
    respondent = fields.String(required=True, metadata={"example": "Anonymous User 1"})
    text = fields.String(required=True)


class PollQuestionResultSchema(Schema):
    text = fields.String(required=True)
    kind = fields.String(required=True)
    answered = fields.Integer(required=True)
    options = fields.List(fields.Nested(PollOptionSchema), required=True)
    average = fields.Float(allow_none=True, required=True)
    texts = fields.List(fields.Nested(PollTextSchema), required=True)


class PollResultsSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    responses = fields.Integer(required=True)
    questions = fields.List(fields.Nested(PollQuestionResultSchema), required=True)


class IncidentCheckSchema(Schema):
    name = fields.String(required=True)
    target = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["met", "late", "missing", "due", "not required"]})
    at = fields.String(allow_none=True, required=True)
    due = fields.String(allow_none=True, required=True)


class PirActionSchema(Schema):
    description = fields.String(required=True)
    owner = fields.String(required=True)
    due_date = fields.Date(allow_none=True, required=True)
    status = fields.String(required=True)


class MajorIncidentSchema(Schema):
    number = fields.String(required=True)
    priority = fields.String(required=True)
    product = fields.String(required=True)
    short_description = fields.String(required=True)
    state = fields.String(required=True)
    major_incident = fields.Boolean(required=True)
    opened_at = fields.DateTime(required=True)
    resolved_at = fields.DateTime(allow_none=True, required=True)
    checks = fields.List(fields.Nested(IncidentCheckSchema), required=True)
    pir_actions = fields.List(fields.Nested(PirActionSchema), required=True)


class MajorIncidentListSchema(Schema):
    items = fields.List(fields.Nested(MajorIncidentSchema), required=True)


class AgendaItemSchema(Schema):
    number = fields.Integer(required=True)
    topic = fields.String(required=True)
    presenter = fields.String(required=True)


class MeetingPollSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    state = fields.String(required=True)
    results = fields.String(required=True)


class MeetingSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    date = fields.Date(required=True)
    chair = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    agenda = fields.List(fields.Nested(AgendaItemSchema), required=True)
    polls = fields.List(fields.Nested(MeetingPollSchema), required=True)


class MeetingListSchema(Schema):
    items = fields.List(fields.Nested(MeetingSchema), required=True)


class ActionInSchema(Schema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=2_000))
    owner_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    due_date = fields.Date(load_default=None, allow_none=True, validate=SENSIBLE_DATES)
    status = fields.String(load_default="Open", validate=validate.OneOf(choices.ACTION_STATUS_CODES))


class SavedViewSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    query = fields.String(required=True, metadata={"description": "The /issues query string it stands for."})
    following = fields.Boolean(required=True)
    issues = fields.String(required=True, metadata={"description": "The view's issues through the API."})


class SavedViewListSchema(Schema):
    items = fields.List(fields.Nested(SavedViewSchema), required=True)
