from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, Email, Length

from ..core.forms import AppForm


class LoginForm(AppForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address."), Email("Enter a valid email address."), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Enter your password."), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Sign in")


class EmptyForm(AppForm):
    """A form with only the CSRF token, for one-button POSTs."""

    submit = SubmitField("Submit")
