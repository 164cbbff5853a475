"""The notification settings form: how to hear of each kind of change, digest times, services followed."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, SubmitField
from wtforms.validators import InputRequired, Optional

from ..core import choices
from ..core.fields import IntSelectField, MultiCheckboxField
from ..core.forms import AppForm
from .kinds import KINDS, MODES, WEEKDAYS
from .preferences import time_zone_names


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
