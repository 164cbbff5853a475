"""Forms for following, comments, "we are affected too", notification settings and saved views."""

from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..core.forms import STRIP, AppForm
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


class SavedViewForm(AppForm):
    name = StringField(
        "Name of this view", filters=STRIP,
        validators=[DataRequired("Give the view a name."), Length(max=80)],
        description="e.g. “DIP issues still open”. Saving an existing name replaces its filters.",
    )
    query = StringField(validators=[Optional(), Length(max=1000)])
    follow = BooleanField("Email me about changes to issues in this view", default=True)
    submit = SubmitField("Save view")
