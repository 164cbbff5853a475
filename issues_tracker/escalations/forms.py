"""Forms of escalations: raising one, and moving it on."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..core import choices
from ..core.forms import STRIP, AppForm


class EscalationForm(AppForm):
    subject_kind = RadioField("What are you escalating?", choices=choices.ESCALATION_SUBJECTS, default="issue",
                              validators=[InputRequired("Choose an industry issue, a case or an incident.")])
    reference = StringField(
        "Its original reference", filters=STRIP,
        validators=[DataRequired("Give the original reference, such as IIT-0042, CS0012345 or INC0012345."),
                    Length(max=20)],
        description="Keep the original reference: the escalation travels with it, it does not replace it.",
    )
    reason = RadioField("Why does it need escalating?", choices=choices.ESCALATION_REASONS,
                        validators=[InputRequired("Choose why it needs escalating.")])
    route = RadioField(
        "Route", choices=choices.ESCALATION_ROUTES,
        validators=[InputRequired("Choose the route: the Elexon case / incident route, or the supplier / "
                                  "non-Elexon route.")],
        description="Elexon case / incident route: for a case or incident with Elexon, taken level by level. "
                    "Supplier / non-Elexon route: where the blocker sits with another market party, a supplier or "
                    "a non-Elexon dependency; it goes to Technical Triage for the relevant OSM(s).",
    )
    blocking_party = StringField(
        "Who the blocker sits with", filters=STRIP, validators=[Optional(), Length(max=200)],
        description="Needed for the supplier / non-Elexon route: the supplier, market party or dependency, "
                    "and the OSM if you know it.",
    )
    detail = TextAreaField(
        "What has happened and what do you need?", filters=STRIP,
        validators=[DataRequired("Say what has happened so far and what you need."), Length(max=10_000)],
        description="Elapsed time, the impact (sites, settlement, customers), what you have already chased, and the "
                    "outcome you need.",
    )
    chased = BooleanField(
        "I have chased it through normal case updates and progress is still blocked, or the impact has grown.",
        validators=[InputRequired("Escalation is not a substitute for normal case updates: chase it on the case first, "
                                  "then confirm here.")],
    )
    submit = SubmitField("Escalate")


class StepForm(AppForm):
    """Acknowledge, take to the next level, add a note, or close: one text and the version."""

    note = TextAreaField("Note", filters=STRIP, validators=[Optional(), Length(max=10_000)])
    version = HiddenField()
    submit = SubmitField("Save")
