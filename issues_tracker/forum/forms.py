"""Forms for forum meetings, their agenda, and the actions log."""

from __future__ import annotations

from urllib.parse import urlsplit

from wtforms import (
    BooleanField,
    DateField,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..core import choices
from ..core.fields import RowList, SensibleDate
from ..core.forms import STRIP, AppForm, AppSubform

MAX_AGENDA_ITEMS = 30


class WebAddress:
    """Only http(s) addresses: a recording link must never run script when clicked."""

    def __call__(self, form, field):
        if not field.data:
            return
        parts = urlsplit(field.data)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValidationError("Enter a full web address starting with https://, e.g. the Teams or SharePoint link.")


class AgendaItemForm(AppSubform):
    """One agenda row; a row left without a topic is dropped (that is how to remove one)."""

    number = IntegerField("No.", validators=[Optional(), NumberRange(min=1, max=99, message="Use a number from 1 to 99.")])
    topic = StringField("Topic", filters=STRIP, validators=[Optional(), Length(max=200)])
    presenter = StringField("Presenter", filters=STRIP, validators=[Optional(), Length(max=120)])


class MeetingForm(AppForm):
    meeting_date = DateField("Date", validators=[InputRequired("Enter the meeting date."), SensibleDate()])
    title = StringField(
        "Title", filters=STRIP, default="Service Management Forum",
        validators=[DataRequired("Give the meeting a title."), Length(max=200)],
    )
    chair = StringField("Chair", filters=STRIP, validators=[Optional(), Length(max=120)])
    start_time = TimeField("Starts (UK time)", validators=[InputRequired("Enter the start time, e.g. 10:00.")])
    end_time = TimeField("Ends (UK time)", validators=[InputRequired("Enter the end time, e.g. 12:00.")])
    recording_url = URLField(
        "Recording link", filters=STRIP, validators=[Optional(), Length(max=500), WebAddress()],
        description="Where invitees who could not attend can watch the session.",
    )
    minutes = TextAreaField(
        "Minutes", filters=STRIP, validators=[Optional(), Length(max=50_000)],
        description="Decisions, discussion points and questions raised. Actions go in the actions log.",
    )
    agenda = RowList(FormField(AgendaItemForm), "Agenda", min_entries=0, max_entries=MAX_AGENDA_ITEMS)
    add_agenda_item = SubmitField("Add another agenda item")
    version = HiddenField()
    submit = SubmitField("Save meeting")

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError("The meeting must end after it starts.")

    def validate_agenda(self, field):
        numbers = []
        for row in field:
            if not row.form.topic.data:
                if row.form.presenter.data:
                    row.form.topic.errors.append("Give the topic, or clear the presenter to remove this row.")
                    raise ValidationError("An agenda row has a presenter but no topic.")
                continue
            if row.form.number.data:
                numbers.append(row.form.number.data)
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            raise ValidationError(f"Agenda numbers must differ (repeated: {', '.join(map(str, duplicates))}).")


class ForumActionForm(AppForm):
    description = TextAreaField(
        "Action", filters=STRIP, validators=[DataRequired("Describe the action."), Length(max=5_000)],
        description="What will be done, by whom, and what the forum expects to see.",
    )
    owner_name = StringField(
        "Owner", filters=STRIP, validators=[DataRequired("Name who owns the action."), Length(max=120)]
    )
    date_raised = DateField("Date raised", validators=[InputRequired("Enter the date the action was raised."), SensibleDate()])
    meeting_id = SelectField("Raised at meeting", coerce=int, default=0)
    issue_ref = StringField(
        "Linked industry issue", filters=STRIP, validators=[Optional(), Length(max=20)],
        description="Optional: an issue ID such as IIT-0042.",
    )
    status = SelectField("Status", choices=choices.FORUM_ACTION_STATUSES, default="Open")
    version = HiddenField()
    submit = SubmitField("Save action")


class ActionUpdateForm(AppForm):
    status = SelectField("Status", choices=choices.FORUM_ACTION_STATUSES)
    text = TextAreaField(
        "Update", filters=STRIP, validators=[Optional(), Length(max=5_000)],
        description="What has happened since the last update. Shown to everyone in the action's history.",
    )
    version = HiddenField()
    submit = SubmitField("Record update")


class ActionFilterForm(AppForm):
    """The actions log's filters, read from the query string (GET, no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField(
        "Status",
        choices=[("", "Any status"), ("not-closed", "Open or Propose Close")] + choices.FORUM_ACTION_STATUSES,
        validators=[Optional()],
    )
    owner = SelectField("Owner", choices=[("", "Anyone")], validators=[Optional()])


class EmptyForm(AppForm):
    """A form with only the CSRF token, for one-button POSTs."""

    submit = SubmitField("Submit")


class QuestionForm(AppForm):
    body = TextAreaField(
        "Your question",
        filters=STRIP,
        validators=[
            DataRequired("Write your question before sending it."),
            Length(max=1_000, message="A question can be at most 1,000 characters long."),
        ],
        description="Staff publish questions to the whole forum; until then your organisation and staff see it.",
    )
    anonymous = BooleanField(
        "Ask anonymously", description="Other participants see \u201cAnonymous\u201d; staff always see who asked."
    )
    submit = SubmitField("Send question")


class AnswerForm(AppForm):
    answer = TextAreaField(
        "Answer",
        filters=STRIP,
        validators=[
            DataRequired("Write the answer before saving it."),
            Length(max=2_000, message="An answer can be at most 2,000 characters long."),
        ],
        description="Shown under the question on the meeting page and in its minutes.",
    )
    version = HiddenField()
    submit = SubmitField("Save answer")
