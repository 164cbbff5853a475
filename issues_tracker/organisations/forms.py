from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from ..core import choices
from ..core.fields import MultiCheckboxField
from ..core.forms import STRIP, AppForm

EMAIL_CHECKS = [DataRequired("Enter an email address."), Email("Enter a valid email address."), Length(max=254)]


class InviteForm(AppForm):
    email = EmailField("Email address", filters=STRIP, validators=EMAIL_CHECKS)
    name = StringField(
        "Name",
        filters=STRIP,
        validators=[Optional(), Length(max=120)],
        description="Used to greet them; they can change it when they accept.",
    )
    role = SelectField("Role", choices=[("participant", "Participant"), ("organisation_admin", "Organisation admin")])
    submit = SubmitField("Send invitation")


class VersionForm(AppForm):
    """A one-button change to a record two people may change at once."""

    version = HiddenField()
    submit = SubmitField("Submit")


class DeclineForm(VersionForm):
    reason = StringField("Reason (sent to them)", filters=STRIP, validators=[Optional(), Length(max=500)])


class SettingsForm(VersionForm):
    require_mfa = BooleanField("Everyone in the organisation must use two-factor sign-in")


class DomainForm(AppForm):
    domain = StringField(
        "Email domain",
        filters=STRIP,
        validators=[DataRequired("Enter a domain."), Length(max=253)],
        description="The part of your colleagues' addresses after @, e.g. northern-supply.co.uk. "
        "Staff verify it before it counts.",
    )
    submit = SubmitField("Claim domain")


class ContactForm(AppForm):
    name = StringField(
        "Name",
        filters=STRIP,
        validators=[Optional(), Length(max=120)],
        description="A person's name, or what a shared mailbox is for (e.g. “Service desk”).",
    )
    email = EmailField("Email address", filters=STRIP, validators=EMAIL_CHECKS)
    roles = MultiCheckboxField(
        "Roles",
        choices=choices.CONTACT_ROLES,
        description="Forum invitees get meeting invitations, Monday-log recipients the weekly log, "
        "major-incident contacts the major-incident emails, escalation contacts a copy of every escalation "
        "the organisation raises and its answers.",
    )
    version = HiddenField()
    submit = SubmitField("Save contact")


class AccessRequestForm(AppForm):
    email = EmailField(
        "Work email address",
        filters=STRIP,
        validators=EMAIL_CHECKS,
        render_kw={"autocomplete": "email"},
        description="Your own work address: we send a link to it to confirm it is yours.",
    )
    name = StringField(
        "Your name",
        filters=STRIP,
        validators=[DataRequired("Enter your name."), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    organisation_name = StringField(
        "Your organisation", filters=STRIP, validators=[Optional(), Length(max=120)], render_kw={"autocomplete": "organization"}
    )
    message = TextAreaField("Anything the people deciding should know", filters=STRIP, validators=[Optional(), Length(max=1000)])
    submit = SubmitField("Ask for access")


class AcceptInvitationForm(AppForm):
    name = StringField(
        "Your name",
        filters=STRIP,
        validators=[DataRequired("Enter your name."), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    password = PasswordField(
        "Choose a password",
        validators=[DataRequired("Choose a password."), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"},
        description=f"At least {MIN_PASSWORD_LENGTH} characters. No rules about symbols or capitals; common and breached "
        "passwords are refused.",
    )
    confirm = PasswordField(
        "Password again",
        validators=[DataRequired("Type the password again."), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Create my account")


class AuditFilterForm(AppForm):
    class Meta:
        csrf = False

    action = SelectField("What", validators=[Optional()])
    actor = StringField("Who", filters=STRIP, validators=[Optional(), Length(max=100)])
    organisation = SelectField("Organisation", validators=[Optional()])
    since = StringField("From (YYYY-MM-DD)", filters=STRIP, validators=[Optional(), Length(max=10)])
    until = StringField("To (YYYY-MM-DD)", filters=STRIP, validators=[Optional(), Length(max=10)])
