from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from ..core.forms import STRIP, AppForm
from .passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

NEW_PASSWORD_HELP = (f"At least {MIN_PASSWORD_LENGTH} characters. No rules about symbols or capitals: a few unrelated "
                     "words make a strong password. Common and breached passwords are refused.")


class LoginForm(AppForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Email("Enter a valid email address."), Length(max=254)],
        render_kw={"autocomplete": "username webauthn"},
    )
    # Optional here: an address that single sign-on serves needs none (the view checks the rest).
    password = PasswordField(
        "Password",
        validators=[Optional(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Sign in")
    sso = SubmitField("Use single sign-on")


class CodeForm(AppForm):
    code = StringField(
        "Code",
        filters=STRIP,
        validators=[DataRequired("Enter the 6-digit code from your authenticator app, or a recovery code."), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "off", "spellcheck": "false"},
        description="The 6-digit code your authenticator app shows now, or one of your recovery codes.",
    )
    submit = SubmitField("Continue")


class EnrolForm(AppForm):
    code = StringField(
        "Code from the app",
        filters=STRIP,
        validators=[DataRequired("Enter the 6-digit code the app shows."), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
        description="After adding the key, the app shows a 6-digit code that changes every 30 seconds.",
    )
    submit = SubmitField("Turn on")


class ForgotPasswordForm(AppForm):
    email = EmailField(
        "Email address",
        filters=STRIP,
        validators=[DataRequired("Enter your email address."), Email("Enter a valid email address."), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Send me a reset link")


class NewPasswordForm(AppForm):
    password = PasswordField(
        "New password",
        validators=[DataRequired("Choose a new password."), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "new-password"},
        description=NEW_PASSWORD_HELP,
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired("Type the new password again."), EqualTo("password", "The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Set password")


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Change password")


class ConfirmPasswordForm(AppForm):
    current = PasswordField(
        "Current password",
        validators=[Optional(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Confirm")


class CloseAccountForm(ConfirmPasswordForm):
    confirm_email = StringField(
        "Type your email address to confirm",
        filters=STRIP,
        validators=[DataRequired("Type your email address to confirm."), Length(max=254)],
    )
    submit = SubmitField("Close my account")


class PasskeyNameForm(AppForm):
    name = StringField("Name of the passkey", filters=STRIP, validators=[Optional(), Length(max=60)],
                       description="So you can tell your passkeys apart, e.g. “Work laptop”.")
    credential = HiddenField()


class EmptyForm(AppForm):
    """A form with only the CSRF token, for one-button POSTs."""

    submit = SubmitField("Submit")


class ApiTokenForm(AppForm):
    name = StringField(
        "Name",
        filters=STRIP,
        validators=[DataRequired("Give the token a name, so you can tell it apart later."), Length(max=60)],
        description="What uses it, e.g. “ServiceNow sync” or “Weekly report script”.",
    )
    scope = RadioField(
        "Access",
        choices=[("read", "Read: see issues as you can"), ("write", "Read and write: also comment, follow and submit")],
        default="read",
        validators=[DataRequired("Choose read or read-and-write access.")],
    )
    expires = SelectField(
        "Expires",
        choices=[("30", "After 30 days"), ("90", "After 90 days"), ("365", "After a year"), ("", "Never")],
        default="90",
    )
    service = BooleanField(
        "A service token for my organisation's integration",
        description="Its changes are journalled with the token's name; any admin of your organisation can revoke it.",
    )
    submit = SubmitField("Create token")
