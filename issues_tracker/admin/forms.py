from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..accounts.operations import MIN_PASSWORD_LENGTH
from ..core import choices
from ..core.fields import IntSelectField
from ..core.forms import STRIP, AppForm


class OrganisationForm(AppForm):
    name = StringField(
        "Name", filters=STRIP, validators=[DataRequired("Enter the organisation's name."), Length(max=120)]
    )
    kind = SelectField("Kind", choices=choices.ORGANISATION_KINDS, default="supplier")
    submit = SubmitField("Save organisation")


class UserForm(AppForm):
    email = EmailField(
        "Email address",
        filters=STRIP,
        validators=[DataRequired("Enter an email address."), Email("Enter a valid email address."), Length(max=254)],
    )
    name = StringField("Full name", filters=STRIP, validators=[Optional(), Length(max=120)])
    role = SelectField("Role", choices=choices.ROLES, default="participant")
    organisation_id = IntSelectField("Organisation")
    password = PasswordField(
        "Password",
        validators=[
            Optional(),
            Length(min=MIN_PASSWORD_LENGTH, max=200, message=f"Use at least {MIN_PASSWORD_LENGTH} characters."),
        ],
        description=f"At least {MIN_PASSWORD_LENGTH} characters. Leave blank to keep the current password.",
    )
    active = BooleanField("Account active", default=True)
    version = HiddenField()
    submit = SubmitField("Save account")
