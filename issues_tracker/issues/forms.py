"""Forms for submitting, updating, triaging and filtering industry issues."""

from __future__ import annotations

import re

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..core import choices
from ..core.fields import IntSelectField, MultiCheckboxField, SensibleDate
from ..core.forms import STRIP, AppForm

SERVICE_DESK_REF = re.compile(r"^(CS|INC|PRB|CHG|RITM)\d{4,10}$")


def parse_party_count(value: str) -> str:
    """Normalise "individual"/"multiple"/a number; raise ValueError otherwise."""
    text = (value or "").strip()
    if not text:
        return ""
    for band in choices.PARTY_COUNT_BANDS:
        if text.lower() == band.lower():
            return band
    if text.isdigit() and 0 < int(text) <= 100_000:
        return str(int(text))
    raise ValueError(choices.PARTY_COUNT_HELP)


def parse_service_desk_refs(value: str) -> list[str]:
    """Split "CS0016629, INC0126133" into validated, upper-cased references."""
    refs = []
    for token in re.split(r"[\s,;]+", (value or "").strip()):
        if not token:
            continue
        ref = token.upper()
        if not SERVICE_DESK_REF.match(ref):
            raise ValueError(
                f'"{token[:30]}" is not a service-desk reference. Use case or incident numbers '
                "such as CS0016629 or INC0126133, separated by commas."
            )
        if ref not in refs:
            refs.append(ref)
    return refs


SERVICE_DESK_REFS_LENGTH = 300  # Issue.service_desk_refs


def format_service_desk_refs(value: str) -> str:
    """The references as stored ("CS0016629, INC0126133"); ValueError when they do not fit."""
    text = ", ".join(parse_service_desk_refs(value))
    if len(text) > SERVICE_DESK_REFS_LENGTH:
        raise ValueError(
            f"Too many service-desk references: written out they take {len(text)} characters, "
            f"and {SERVICE_DESK_REFS_LENGTH} fit. Give the main cases and incidents only."
        )
    return text


class PartyCount:
    def __call__(self, form, field):
        try:
            field.data = parse_party_count(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class ServiceDeskRefs:
    def __call__(self, form, field):
        try:
            field.data = format_service_desk_refs(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None





class IssueForm(AppForm):
    """What a participant tells us about an industry issue (the MVP tracker's columns)."""

    summary = StringField(
        "Issue summary",
        filters=STRIP,
        validators=[DataRequired("Give the issue a short summary."), Length(min=5, max=200)],
        description="One line that others will recognise, e.g. “Message schema validation failures”.",
    )
    services = MultiCheckboxField(
        "Service / system",
        choices=choices.SERVICES,
        validators=[DataRequired("Choose at least one service or system.")],
        description="Every service the issue affects.",
    )
    description = TextAreaField(
        "Description",
        filters=STRIP,
        validators=[DataRequired("Describe what is happening."), Length(max=10_000)],
        description="What you see, since when, and how you noticed. No personal data, please.",
    )
    severity = IntSelectField(
        "Severity",
        choices=choices.SEVERITIES,
        default=3,
        validators=[InputRequired("Choose a severity.")],
        description="As for service-desk priority: P1 is a critical, widespread impact.",
    )
    root_cause = TextAreaField(
        "Root cause (known or suspected)",
        filters=STRIP,
        validators=[Optional(), Length(max=5_000)],
        description="Leave blank if unknown.",
    )
    root_cause_certainty = SelectField(
        "Is the root cause known or suspected?", choices=choices.ROOT_CAUSE_CERTAINTY, default="Suspected"
    )
    supplier_impact = StringField(
        "Suppliers impacted",
        filters=STRIP,
        validators=[Optional(), Length(max=20), PartyCount()],
        description=choices.PARTY_COUNT_HELP,
    )
    distributor_impact = StringField(
        "Distributors impacted",
        filters=STRIP,
        validators=[Optional(), Length(max=20), PartyCount()],
        description=choices.PARTY_COUNT_HELP,
    )
    messages = MultiCheckboxField(
        "Affected settlement messages",
        choices=choices.SETTLEMENT_MESSAGES,
        validators=[Optional()],
        description="Choose every message type affected.",
    )
    settlement_impact = TextAreaField(
        "Settlement impact",
        filters=STRIP,
        validators=[Optional(), Length(max=5_000)],
        description="e.g. “Rejections causing processing delays”.",
    )
    dependencies = TextAreaField(
        "Dependencies", filters=STRIP, validators=[Optional(), Length(max=5_000)]
    )
    parties_responsible = StringField(
        "Parties responsible for resolution",
        filters=STRIP,
        validators=[Optional(), Length(max=200)],
        description="e.g. “Elexon / Platform provider”.",
    )
    next_run_resolves = SelectField(
        "Will the next settlement run resolve it?", choices=choices.NEXT_RUN, default="Unknown"
    )
    service_desk_refs = StringField(
        "Service-desk references",
        filters=STRIP,
        validators=[Optional(), Length(max=300), ServiceDeskRefs()],
        description="Case and incident numbers, e.g. CS0016629, INC0126133.",
    )
    # One per form shown: a second submit of the same form finds the issue the first one made.
    submission_token = HiddenField(
        validators=[Optional(), Regexp(r"^[0-9a-f]{32}$", message="The form was damaged; reload it and submit again.")]
    )
    submit = SubmitField("Submit issue")


class StaffIssueForm(IssueForm):
    """Everything on the issue that staff maintain, with a public progress note."""

    # Rows brought from the spreadsheet tracker may name no service; staff can still update them.
    services = MultiCheckboxField(
        "Service / system",
        choices=choices.SERVICES,
        validators=[Optional()],
        description="Every service the issue affects.",
    )

    status = SelectField("Current status", choices=choices.STATUSES)
    impact_assessment = SelectField("Impact assessment status", choices=choices.IMPACT_ASSESSMENT)
    action_underway = TextAreaField(
        "Action underway (interim mitigation)", filters=STRIP, validators=[Optional(), Length(max=5_000)]
    )
    resolution_description = TextAreaField(
        "Resolution (long-term solution)", filters=STRIP, validators=[Optional(), Length(max=5_000)]
    )
    resolution_status = SelectField("Resolution status", choices=choices.RESOLUTION_STATUSES)
    owner_id = IntSelectField("Owner", default=0)
    target_date = DateField("Target date", validators=[Optional(), SensibleDate()])
    progress_note = TextAreaField(
        "Progress note",
        filters=STRIP,
        validators=[Optional(), Length(max=5_000)],
        description="Shown publicly on the issue's timeline. Say what changed and what happens next.",
    )
    version = HiddenField()
    submission_token = None
    submit = SubmitField("Save changes")


class TriageForm(AppForm):
    """Two buttons: publish, or reject with a reason (the buttons send the decision)."""

    decision = SelectField(
        "Decision",
        choices=[("publish", "Publish to the industry view"), ("reject", "Reject")],
        validators=[InputRequired("Choose Publish or Reject.")],
    )
    reason = TextAreaField(
        "Reason for rejecting",
        filters=STRIP,
        validators=[Length(max=2_000)],
        description="The submitter's organisation sees this on the issue.",
    )
    submit = SubmitField("Record decision")

    def validate_reason(self, field):
        if self.decision.data == "reject" and not field.data:
            raise ValidationError("Say why the issue is rejected; the submitter will see it.")


class DuplicateForm(AppForm):
    """Staff reject a submission as a duplicate of a published issue."""

    original = IntegerField("Original issue", validators=[InputRequired("Choose the issue this one duplicates.")])
    submit = SubmitField("Reject as a duplicate")


class IssueActionForm(AppForm):
    description = TextAreaField(
        "Action", filters=STRIP, validators=[DataRequired("Describe the action."), Length(max=2_000)]
    )
    owner_name = StringField(
        "Owner", filters=STRIP, validators=[DataRequired("Name who owns the action."), Length(max=120)]
    )
    due_date = DateField("Due date", validators=[Optional(), SensibleDate()])
    status = SelectField("Status", choices=choices.ACTION_STATUSES, default="Open")
    submit = SubmitField("Save action")


class ActionStatusForm(AppForm):
    status = SelectField("Status", choices=choices.ACTION_STATUSES)
    submit = SubmitField("Update")


def canonical(options):
    """A filter giving a query-string value in the list's own spelling, whatever its case
    (so a bookmark with "In Progress" still finds "In progress")."""
    exact = {str(code) for code, _ in options}
    codes = {str(code).lower(): str(code) for code, _ in reversed(options)}

    def apply(value):
        if isinstance(value, str) and value not in exact:
            return codes.get(value.strip().lower(), value)
        return value

    return [apply]


def _with_any(options, label="Any"):
    return [("", label)] + [(str(code), text) for code, text in options]


class IssueFilterForm(AppForm):
    """The list's filters, read from the query string (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField("Search", filters=STRIP, validators=[Optional(), Length(max=200)])
    service = SelectField(
        "Service", choices=_with_any(choices.SERVICES), filters=canonical(choices.SERVICES), validators=[Optional()]
    )
    # Open issues unless the person asks for others ("all" is any status).
    status = SelectField(
        "Current status",
        filters=canonical([("open", ""), ("all", ""), ("closed", "")] + choices.STATUSES),
        choices=[("open", "Open (not resolved)"), ("all", "Any status"), ("closed", "Resolved or closed")]
        + [(code, text) for code, text in choices.STATUSES],
        default="open",
        validators=[Optional()],
    )
    resolution_status = SelectField(
        "Resolution status", choices=_with_any(choices.RESOLUTION_STATUSES),
        filters=canonical(choices.RESOLUTION_STATUSES), validators=[Optional()]
    )
    impact = SelectField(
        "Impact assessment", choices=_with_any(choices.IMPACT_ASSESSMENT),
        filters=canonical(choices.IMPACT_ASSESSMENT), validators=[Optional()]
    )
    next_run = SelectField(
        "Next run resolves?", choices=_with_any(choices.NEXT_RUN), filters=canonical(choices.NEXT_RUN),
        validators=[Optional()]
    )
    severity = SelectField("Severity", choices=_with_any(choices.SEVERITIES), validators=[Optional()])
    owner = SelectField("Owner", choices=[("", "Anyone")], validators=[Optional()])
    triage = SelectField(
        "Triage", choices=_with_any(choices.TRIAGE_STATES), validators=[Optional()]
    )
    stale = SelectField(
        "Stale", choices=[("", "Any"), ("1", "Stale only (no update for 14+ days)")], validators=[Optional()]
    )
    org = SelectField(
        "Raised by", choices=[("", "Any organisation"), ("mine", "My organisation")], validators=[Optional()]
    )
    # Without a choice: relevance when searching, otherwise the latest update first.
    sort = SelectField(
        "Sort by", choices=[("", "Best match when searching, else last update"), ("relevance", "Best match")] + choices.SORTS,
        default="", validators=[Optional()]
    )
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(min=1, max=100_000)])

    FILTER_FIELDS = (
        "q", "service", "status", "resolution_status", "impact", "next_run", "severity", "owner", "triage", "stale", "org",
    )


class TrackerImportForm(AppForm):
    file = FileField(
        "Tracker spreadsheet",
        validators=[
            FileRequired("Choose the tracker file to import."),
            FileAllowed(["xlsx", "csv"], "Upload an Excel workbook (.xlsx) or a CSV file (.csv)."),
        ],
        description="The MVP tracker's columns, with “Issue ID” and “Issue Summary” in the first row. "
        "Rows already imported (same Issue ID) are updated; every change is journalled.",
    )
    submit = SubmitField("Import")
