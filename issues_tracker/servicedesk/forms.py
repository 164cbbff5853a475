"""Forms of service performance: importing an extract, major-incident communications, PIR actions."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..core import choices
from ..core.fields import SensibleDate
from ..core.forms import STRIP, AppForm

LOCAL_TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
TIME_HELP = "UK time."


class EmptyForm(AppForm):
    """A one-button form: it carries the CSRF token and nothing else."""


class ServiceDeskImportForm(AppForm):
    file = FileField(
        "Service-desk extract",
        validators=[
            FileRequired("Choose the extract to import."),
            FileAllowed(["csv", "xlsx"], "Upload a CSV file (.csv) or an Excel workbook (.xlsx)."),
        ],
        description="A list of cases (CS…), incidents (INC…) and changes (CHG…) exported from ServiceNow, with its column labels "
        "in the first row. Records already imported (the same Number) are updated.",
    )


class CommunicationsForm(AppForm):
    portal_banner = DateTimeLocalField("MI portal banner shown", format=LOCAL_TIME_FORMATS,
                                       validators=[Optional(), SensibleDate()], description=TIME_HELP)
    mi_email = DateTimeLocalField("First MI email sent", format=LOCAL_TIME_FORMATS,
                                  validators=[Optional(), SensibleDate()],
                                  description="UK time. Due 30 minutes after the incident was opened.")
    industry_circular = DateTimeLocalField("Industry circular issued", format=LOCAL_TIME_FORMATS,
                                           validators=[Optional(), SensibleDate()], description=TIME_HELP)
    pir_published = DateField("PIR published", validators=[Optional(), SensibleDate()],
                              description="Due 7 days after the incident was resolved.")


class MiUpdateForm(AppForm):
    channel = SelectField("Channel", choices=choices.MI_UPDATE_CHANNELS, validators=[InputRequired()])
    sent_at = DateTimeLocalField("Sent", format=LOCAL_TIME_FORMATS,
                                 validators=[InputRequired("Enter when the update was sent."), SensibleDate()],
                                 description=TIME_HELP)


class PirActionForm(AppForm):
    description = TextAreaField("Action", filters=STRIP,
                                validators=[DataRequired("Describe the action."), Length(max=2000)])
    owner_name = StringField("Owner", filters=STRIP,
                             validators=[DataRequired("Name the action's owner."), Length(max=120)])
    due_date = DateField("Due", validators=[Optional(), SensibleDate()])


class PirActionUpdateForm(AppForm):
    status = SelectField("Status", choices=choices.PIR_ACTION_STATUSES, validators=[InputRequired()])
    owner_name = StringField("Owner", filters=STRIP,
                             validators=[DataRequired("Name the action's owner."), Length(max=120)])
    due_date = DateField("Due", validators=[Optional(), SensibleDate()])
    note = TextAreaField("Note", filters=STRIP, validators=[Optional(), Length(max=2000)],
                         description="What was done. Required to close the action.")
    version = HiddenField()


class NoticeForm(AppForm):
    """A major-incident notice, update, circular or resolution, as staff write it."""

    headline = StringField("Headline", filters=STRIP, validators=[Optional(), Length(max=200)],
                           description="Shown in the banner on every page, e.g. “DIP not accepting messages”. "
                                       "Needed when the notice is first published.")
    text = TextAreaField("Message", filters=STRIP,
                         validators=[DataRequired("Write what participants need to know."), Length(max=4000)],
                         description="What is happening, who is affected, any workaround, and what happens next.")
