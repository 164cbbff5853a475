"""Forms of the improvement programme and the improvement pipeline."""

from __future__ import annotations

from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core import choices
from ..core.fields import SensibleDate
from ..core.forms import STRIP, AppForm


def optional_int(value):
    """A select's number, or None for its empty choice; anything else is not a choice."""
    if value in ("", None):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise ValueError("Not a valid choice.")
    return int(text)


class ProgrammeActionForm(AppForm):
    title = StringField("Action", filters=STRIP, validators=[DataRequired("Say what the action is."), Length(max=300)])
    theme = SelectField("Recommendation theme", choices=choices.IMPROVEMENT_THEMES,
                        description="The IPA review's four themes.")
    kind = SelectField("Tactical or strategic", choices=choices.IMPROVEMENT_ACTION_KINDS,
                       description="Tactical actions are mobilised by the service team; strategic ones are leadership-led.")
    description = TextAreaField("Detail", filters=STRIP, validators=[Optional(), Length(max=5_000)])
    owner_name = StringField("Owner", filters=STRIP, validators=[DataRequired("Name who owns the action."), Length(max=120)])
    status = SelectField("Status", choices=choices.IMPROVEMENT_ACTION_STATUSES, default="not_started")
    due_on = DateField("Due date", validators=[Optional(), SensibleDate()])
    issue_ref = StringField("Linked industry issue", filters=STRIP, validators=[Optional(), Length(max=20)],
                            description="Optional: an issue ID such as IIT-0042.")
    record_number = StringField("Linked case or incident", filters=STRIP, validators=[Optional(), Length(max=20)],
                                description="Optional: a service-desk number such as CS0012345 or INC0012345.")
    pir_action_id = SelectField("Linked PIR action", coerce=optional_int, validators=[Optional()])
    version = HiddenField()
    submit = SubmitField("Save action")


class ProgressUpdateForm(AppForm):
    status = SelectField("Status", choices=choices.IMPROVEMENT_ACTION_STATUSES)
    text = TextAreaField("Progress update", filters=STRIP, validators=[Optional(), Length(max=5_000)],
                         description="What has progressed since the last update. Everyone signed in sees the history.")
    version = HiddenField()
    submit = SubmitField("Record update")


class ProposalForm(AppForm):
    title = StringField("Improvement", filters=STRIP,
                        validators=[DataRequired("Give the improvement a short title."), Length(max=200)],
                        description="In a line, what should change, e.g. \"Show the PIR due date on the incident page\".")
    description = TextAreaField(
        "What is the problem today?", filters=STRIP,
        validators=[DataRequired("Describe the problem it would solve."), Length(max=10_000)],
        description="What happens now, how often, and who it affects. Avoid personal data.",
    )
    expected_benefit = TextAreaField(
        "Expected benefit", filters=STRIP, validators=[Optional(), Length(max=5_000)],
        description="What would be better and how we could measure it: fewer repeat incidents, less manual effort, "
                    "faster resolution.",
    )
    service = SelectField("Service", choices=[("", "Not specific to one service")] + choices.SERVICES,
                          validators=[Optional()])
    submit = SubmitField("Propose improvement")


class TriageForm(AppForm):
    state = SelectField("State", choices=choices.IMPROVEMENT_STATES)
    value_score = SelectField("Value", coerce=optional_int, choices=[("", "Not scored")] + choices.IMPROVEMENT_SCORES,
                              validators=[Optional()], description="How much it would improve the service.")
    effort_score = SelectField("Effort", coerce=optional_int,
                               choices=[("", "Not scored")] + choices.IMPROVEMENT_SCORES, validators=[Optional()],
                               description="How much work it takes: 1 is very little.")
    phase = SelectField("Phase", coerce=optional_int, choices=[("", "Not in a phase")] + choices.CSI_PHASES,
                        validators=[Optional()])
    owner_name = StringField("Owner", filters=STRIP, validators=[Optional(), Length(max=120)])
    benefit_measured = TextAreaField("Benefit measured", filters=STRIP, validators=[Optional(), Length(max=5_000)],
                                     description="Needed to mark it delivered: what changed, in numbers where possible.")
    note = TextAreaField("Note to followers", filters=STRIP, validators=[Optional(), Length(max=5_000)],
                         description="Shown in its history and emailed to everyone following it.")
    version = HiddenField()
    submit = SubmitField("Save triage")


class EmptyForm(AppForm):
    """Only the CSRF token, for one-button POSTs (follow, unfollow)."""

    submit = SubmitField("Submit")
