"""Forms for the weekly log: staff commentary, and publishing (or revising) a week."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..core.forms import STRIP, AppForm
from .weeks import LogError, parse_week


class CommentaryForm(AppForm):
    """What staff tell stakeholders this week, printed after the executive summary."""

    trends = TextAreaField(
        "Trends",
        filters=STRIP,
        validators=[Optional(), Length(max=10_000)],
        description="What is moving: volumes, services, themes since the previous log.",
    )
    emerging_risks = TextAreaField(
        "Emerging risks",
        filters=STRIP,
        validators=[Optional(), Length(max=10_000)],
        description="What could hurt settlement or participants if nothing changes.",
    )
    decisions_required = TextAreaField(
        "Decisions required",
        filters=STRIP,
        validators=[Optional(), Length(max=10_000)],
        description="What stakeholders need to decide, by when, and who should.",
    )
    version = HiddenField()
    submit = SubmitField("Save commentary")


class PublishForm(AppForm):
    """Publish the log for a week, or a corrected revision of a published week."""

    # A native date picker that offers Mondays only (step of 7 days from a Monday);
    # the server checks the same, for browsers without the picker.
    week = StringField(
        "Week commencing",
        filters=STRIP,
        validators=[DataRequired("Give the Monday of the week to publish.")],
        description="A Monday. Choose the week to publish, or a published week to correct.",
        render_kw={"type": "date", "step": "7", "min": "2000-01-03"},
    )
    revise = BooleanField("Publish a correction as a new revision")
    reason = TextAreaField(
        "Reason for the revision",
        filters=STRIP,
        validators=[Length(max=2_000)],
        description="What the revision corrects. Printed on the revised log.",
    )
    submit = SubmitField("Publish the log")

    def validate_week(self, field):
        try:
            self.week_date = parse_week(field.data)
        except LogError as exc:
            raise ValidationError(str(exc)) from None

    def validate_reason(self, field):
        if self.revise.data and not field.data:
            raise ValidationError("Say what the revision corrects: a reason is required.")
        if field.data and not self.revise.data:
            raise ValidationError("A reason is only needed for a revision: tick the revision box or clear the reason.")


class PreviewForm(AppForm):
    """Render the draft of a week without publishing it."""

    week = HiddenField(filters=STRIP)
    submit = SubmitField("Preview the draft")

    def validate_week(self, field):
        try:
            self.week_date = parse_week(field.data)
        except LogError as exc:
            raise ValidationError(str(exc)) from None
