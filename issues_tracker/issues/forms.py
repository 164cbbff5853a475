"""Forms for submitting, updating, triaging and filtering industry issues."""

from __future__ import annotations

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
from . import fields


class PartyCount:
    def __call__(self, form, field):
        try:
            field.data = fields.parse_party_count(field.data)
        except fields.FieldError as exc:
            raise ValidationError(str(exc)) from None


class ServiceDeskRefs:
    def __call__(self, form, field):
        try:
            field.data = fields.format_service_desk_refs(field.data)
        except fields.FieldError as exc:
            raise ValidationError(str(exc)) from None


def form_field(f: fields.Field, *, staff: bool = False):
    """The form's field for a tracker field, with its label, help and checks from the registry."""
    text_checks = [DataRequired(f.required) if f.required else Optional()]
    if f.max_length:
        text_checks.append(Length(min=f.min_length or -1, max=f.max_length))
    options = {"description": f.help}
    if f.kind == "line":
        return StringField(f.label, filters=STRIP, validators=text_checks, **options)
    if f.kind == "text":
        return TextAreaField(f.label, filters=STRIP, validators=text_checks, **options)
    if f.kind == "choices":
        # Rows brought from the spreadsheet tracker may name no service; staff can still update them.
        checks = [DataRequired(f.required)] if f.required and not staff else [Optional()]
        return MultiCheckboxField(f.label, choices=list(f.choices), validators=checks, **options)
    if f.kind == "severity":
        return IntSelectField(f.label, choices=list(f.choices), default=f.default,
                              validators=[InputRequired(f.required)], **options)
    if f.kind == "choice":
        return SelectField(f.label, choices=list(f.choices), default=f.default if f.set_by == "submitter" else None,
                           **options)
    if f.kind == "party_count":
        return StringField(f.label, filters=STRIP, validators=[Optional(), Length(max=f.max_length), PartyCount()],
                           **options)
    if f.kind == "refs":
        return StringField(f.label, filters=STRIP,
                           validators=[Optional(), Length(max=f.max_length), ServiceDeskRefs()], **options)
    if f.kind == "owner":
        return IntSelectField(f.label, default=0, **options)
    if f.kind == "date":
        return DateField(f.label, validators=[Optional(), SensibleDate()], **options)
    raise ValueError(f"no form field for a {f.kind} field")


# A participant's submission: the MVP tracker's columns they can know.
IssueForm = type("IssueForm", (AppForm,), {
    "__doc__": "What a participant tells us about an industry issue (the MVP tracker's columns).",
    **{f.name: form_field(f) for f in fields.FIELDS if f.set_by == "submitter"},
    # One per form shown: a second submit of the same form finds the issue the first one made.
    "submission_token": HiddenField(
        validators=[Optional(), Regexp(r"^[0-9a-f]{32}$", message="The form was damaged; reload it and submit again.")]
    ),
    "submit": SubmitField("Submit issue"),
})

# Everything on the issue that staff maintain, with a public progress note.
StaffIssueForm = type("StaffIssueForm", (AppForm,), {
    "__doc__": "Everything on the issue that staff maintain, with a public progress note.",
    **{f.name: form_field(f, staff=True) for f in fields.FIELDS},
    "progress_note": TextAreaField(
        "Progress note",
        filters=STRIP,
        validators=[Optional(), Length(max=5_000)],
        description="Shown publicly on the issue's timeline. Say what changed and what happens next.",
    ),
    "version": HiddenField(),
    "submit": SubmitField("Save changes"),
})


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
        fields.BY_NAME["services"].heading, choices=_with_any(choices.SERVICES), filters=canonical(choices.SERVICES),
        validators=[Optional()]
    )
    # Open issues unless the person asks for others ("all" is any status).
    status = SelectField(
        fields.BY_NAME["status"].label,
        filters=canonical([("open", ""), ("all", ""), ("closed", "")] + choices.STATUSES),
        choices=[("open", "Open (not resolved)"), ("all", "Any status"), ("closed", "Resolved or closed")]
        + [(code, text) for code, text in choices.STATUSES],
        default="open",
        validators=[Optional()],
    )
    resolution_status = SelectField(
        fields.BY_NAME["resolution_status"].label, choices=_with_any(choices.RESOLUTION_STATUSES),
        filters=canonical(choices.RESOLUTION_STATUSES), validators=[Optional()]
    )
    impact = SelectField(
        fields.BY_NAME["impact_assessment"].heading, choices=_with_any(choices.IMPACT_ASSESSMENT),
        filters=canonical(choices.IMPACT_ASSESSMENT), validators=[Optional()]
    )
    next_run = SelectField(
        fields.BY_NAME["next_run_resolves"].heading, choices=_with_any(choices.NEXT_RUN), filters=canonical(choices.NEXT_RUN),
        validators=[Optional()]
    )
    severity = SelectField(fields.BY_NAME["severity"].label, choices=_with_any(choices.SEVERITIES), validators=[Optional()])
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
