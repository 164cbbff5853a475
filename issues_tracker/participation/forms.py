"""Forms for following, comments, "we are affected too", notification settings and saved views."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..core import choices
from ..core.fields import IntSelectField, MultiCheckboxField
from ..core.forms import STRIP, AppForm
from ..notifications.kinds import KINDS, MODES, WEEKDAYS
from ..notifications.preferences import time_zone_names
from .affected import MAX_METER_POINTS
from .comments import MAX_COMMENT_LENGTH


class EmptyForm(AppForm):
    """A one-button form: only its CSRF token is checked."""


class CommentForm(AppForm):
    body = TextAreaField(
        "Your comment",
        filters=STRIP,
        validators=[
            DataRequired("Write a comment before posting it."),
            Length(max=MAX_COMMENT_LENGTH, message=f"A comment can be at most {MAX_COMMENT_LENGTH:,} characters long."),
        ],
        description="Plain text, or a little Markdown: *italic*, **bold**, `code`, lists, > quotes and links. "
        "Everyone who can see this issue can read it.",
    )
    submit = SubmitField("Post comment")


class HideCommentForm(AppForm):
    reason = StringField(
        "Reason for hiding",
        filters=STRIP,
        validators=[DataRequired("Say why the comment is hidden."), Length(max=500)],
        description="Shown in place of the comment.",
    )
    submit = SubmitField("Hide comment")


def _meter_points(form, field):
    text = (field.data or "").replace(",", "").replace(" ", "")
    if not text:
        field.data = None
        return
    if not text.isdigit() or len(text) > 12:
        raise ValidationError("Enter a whole number of meter points, e.g. 1200, or leave it blank.")
    if int(text) > MAX_METER_POINTS:
        raise ValidationError(f"Enter at most {MAX_METER_POINTS:,} meter points.")
    field.data = int(text)


class AffectedForm(AppForm):
    note = TextAreaField(
        "How it affects your organisation",
        filters=STRIP,
        validators=[Optional(), Length(max=1_000)],
        description="Optional: what you see, since when. Staff and your organisation read it.",
    )
    meter_points = StringField(
        "Meter points affected",
        filters=STRIP,
        validators=[_meter_points],
        description="Optional: roughly how many meter points (MPANs).",
        render_kw={"inputmode": "numeric"},
    )
    # declare | withdraw; without it the request toggles.
    action = SelectField(choices=[("", ""), ("declare", "declare"), ("withdraw", "withdraw")], validators=[Optional()])


class FollowForm(AppForm):
    # follow | unfollow; without it the request toggles.
    action = SelectField(choices=[("", ""), ("follow", "follow"), ("unfollow", "unfollow")], validators=[Optional()])


def _mode_field(code: str, label: str, description: str) -> RadioField:
    return RadioField(label, choices=MODES, validators=[InputRequired(f"Choose how to hear about {label.lower()}.")],
                      description=description)


class NotificationSettingsForm(AppForm):
    time_zone = SelectField("Time zone", validators=[InputRequired()],
                            description="Digest times and the times in emails are in this zone.")
    digest_hour = IntSelectField(
        "Send digests at", choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        validators=[InputRequired("Choose an hour.")],
    )
    weekly_day = IntSelectField(
        "Weekly digest on", choices=list(enumerate(WEEKDAYS)), validators=[InputRequired("Choose a day.")],
    )
    follow_when_affected = BooleanField("Follow the issues my organisation says it is affected by")
    services = MultiCheckboxField(
        "Follow every issue of these services", choices=choices.SERVICES, validators=[Optional()],
        description="You hear of changes to any issue of a service you follow, as chosen above.",
    )
    submit = SubmitField("Save settings")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = [(name, name.replace("_", " ")) for name in time_zone_names()]


for _code, _label, _description in KINDS:
    setattr(NotificationSettingsForm, f"mode_{_code}", _mode_field(_code, _label, _description))


class SavedViewForm(AppForm):
    name = StringField(
        "Name of this view", filters=STRIP,
        validators=[DataRequired("Give the view a name."), Length(max=80)],
        description="e.g. “DIP issues still open”. Saving an existing name replaces its filters.",
    )
    query = StringField(validators=[Optional(), Length(max=1000)])
    follow = BooleanField("Email me about changes to issues in this view", default=True)
    submit = SubmitField("Save view")
