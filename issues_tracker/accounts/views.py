"""Signing in and out: a password (and a second factor where one is set up or required), a
passkey, or single sign-on; resetting a forgotten password. The person's own security and data
pages are routes of this blueprint too (pages.py)."""

from __future__ import annotations

import hmac
import json
import time
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from ..core import metrics
from ..core.extensions import db, limiter, login_manager
from ..core.tokens import new_token
from ..core.transaction import unit_of_work
from ..core.urls import external_url
from ..notifications.outgoing import queue_email
from . import mfa, passkeys, passwords, sso
from . import operations as accounts
from .forms import CodeForm, EnrolForm, ForgotPasswordForm, LoginForm, NewPasswordForm
from .models import User

bp = Blueprint("accounts", __name__, template_folder="templates")

PENDING = "pending_login"  # in the session between the password and the second factor
PENDING_SECONDS = 600
PASSKEY_CHALLENGE = "passkey_challenge"
SSO_INVITATION = "sso_invitation"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit() or len(user_id) > 10:
        return None
    # The account and its session record in one query; without a record (signed out, or
    # ended by a password change) the cookie signs nobody in.
    user = accounts.user_with_live_session(int(user_id), session.get(accounts.SESSION_KEY), max_age=accounts.session_lifetime())
    if user is None or not hmac.compare_digest(user.session_fingerprint, fingerprint):
        return None
    return user


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative trick."""
    if not target:
        return url_for("home.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("home.home")
    return target


def client_address() -> str:
    return get_remote_address() or ""


def _address_and_account_key() -> str:
    # The same normalised address the account lookup uses, so variants of one address share one allowance.
    return f"login:{get_remote_address()}:{accounts.normalise_email(request.form.get('email'))}"


def _account_wide_key() -> str:
    """Attempts on one account from every address together. The account's password fingerprint is
    part of the key: once its owner sets a new password (through the link emailed when the pause
    began), their sign-in is counted afresh, so a stranger can slow an account down but never
    lock its owner out."""
    email = accounts.normalise_email(request.form.get("email"))
    return f"login-account:{email}:{accounts.fingerprint_for(email)}"


def _account_wide_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_WIDE_RATE_LIMIT"]


def _sign_in_paused(limit) -> None:
    """The account's sign-in is paused: its owner is told, once a pause, with a way back in."""
    metrics.sign_in_refused("account_paused")
    email = accounts.normalise_email(request.form.get("email"))
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None or not user.active or sso.provider_for_email(email) is not None:
        return
    with unit_of_work():
        if accounts.note_sign_in_paused(user):
            queue_email(user.email, "Sign-in to your account is paused", "accounts/email/sign_in_paused", kind="security",
                        user=user, link=passwords.start_reset(user), minutes=current_app.config["PASSWORD_RESET_MINUTES"],
                        address=client_address())


PAUSED = ("Too many attempts to sign in to this account, from one address or several. Sign-in for it is paused "
          "for a while. If it is your account, check your email: a link there lets you set a new password and sign in.")


def _pending_account_key() -> str:
    pending = session.get(PENDING) or {}
    return f"second-factor:{pending.get('user', get_remote_address())}"


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _second_factor_limit() -> str:
    return current_app.config["SECOND_FACTOR_RATE_LIMIT"]


def _email_limit() -> str:
    return current_app.config["ACCOUNT_EMAIL_RATE_LIMIT"]


def sign_in(
    user: User,
    method: str,
    *,
    next_url: str | None = None,
    sso_provider: str = "",
    id_token: str = "",
    message: str | None = None,
):
    """Start the signed-in session (a fresh one: nothing from before sign-in carries over)."""
    with unit_of_work():
        key = accounts.start_session(
            user,
            method=method,
            user_agent=request.user_agent.string,
            ip_address=client_address(),
            sso_provider=sso_provider,
            id_token=id_token,
        )
    session.clear()
    login_user(user)
    session[accounts.SESSION_KEY] = key
    flash(message or f"Signed in as {user.display_name}.", "success")
    return redirect(safe_next(next_url), code=303)


def _login_page(form: LoginForm, status: int = 200):
    return render_template("accounts/login.html", form=form, sso_enabled=sso.enabled()), status


def go_to_provider(provider: sso.Provider, login_hint: str = ""):
    """A page that sends the browser on to the provider (a form's answer may not redirect off-site under our CSP)."""
    try:
        target = sso.authorization_url(provider, login_hint)
    except sso.SsoRefused as exc:
        return render_template("accounts/sso_refused.html", message=exc.message, action=exc.action), exc.status
    session["sso_next"] = safe_next(request.args.get("next"))
    return render_template(
        "accounts/redirecting.html",
        target=target,
        title=f"Signing in with {provider.title}",
        message=f"Taking you to {provider.title} to sign in…",
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], on_breach=lambda limit: metrics.sign_in_refused("rate_limited"))
@limiter.limit(_account_limit, methods=["POST"], key_func=_address_and_account_key,
               on_breach=lambda limit: metrics.sign_in_refused("rate_limited"))
# Only refused attempts count towards the pause (a good password answers 303).
@limiter.limit(_account_wide_limit, methods=["POST"], key_func=_account_wide_key, error_message=PAUSED,
               deduct_when=lambda response: response.status_code != 303, on_breach=_sign_in_paused)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if not form.validate_on_submit():
        if request.method != "POST":
            return _login_page(form)
        if not form.password.data and not form.sso.data and sso.provider_for_email(form.email.data or "") is None:
            form.password.errors.append("Enter your password.")
        return _login_page(form, 422)
    provider = sso.provider_for_email(form.email.data)
    if form.sso.data or (provider is not None and not form.password.data):
        if provider is None:
            form.email.errors.append("Single sign-on is not set up for that address: sign in with your password.")
            return _login_page(form, 422)
        return go_to_provider(provider, accounts.normalise_email(form.email.data))
    if not form.password.data:
        form.password.errors.append("Enter your password.")
        return _login_page(form, 422)
    user = accounts.authenticate(form.email.data, form.password.data)
    if user is None:
        metrics.sign_in_refused("wrong_password")
        form.password.errors.append("That email address and password do not match an active account.")
        return _login_page(form, 422)
    if mfa.has_second_factor(user) or mfa.second_factor_required(user):
        session[PENDING] = {
            "user": user.id,
            "fp": user.session_fingerprint,
            "at": int(time.time()),
            "next": safe_next(request.args.get("next")),
        }
        target = "accounts.verify" if mfa.has_second_factor(user) else "accounts.setup_second_factor"
        return redirect(url_for(target), code=303)
    return sign_in(user, "password", next_url=request.args.get("next"))


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not pending or int(time.time()) - int(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or not hmac.compare_digest(user.session_fingerprint, str(pending.get("fp"))):
        return None
    return user


def _start_again():
    session.pop(PENDING, None)
    flash("Your sign-in took too long or was interrupted. Sign in again.", "info")
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/login/verify", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"])
@limiter.limit(_second_factor_limit, methods=["POST"], key_func=_pending_account_key)
def verify():
    """Sign-in's second step: a code from the authenticator (a field named `code`), a recovery code, or a passkey."""
    user = _pending_user()
    if user is None:
        return _start_again()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                used = mfa.verify_second_factor(user, form.code.data)
        except mfa.CodeError as exc:
            metrics.sign_in_refused("second_factor")
            form.code.errors.append(str(exc))
        else:
            next_url = session.get(PENDING, {}).get("next")
            left = mfa.unused_recovery_codes(user) if used == "recovery code" else None
            message = None
            if left is not None:
                message = (
                    f"Signed in with a recovery code; {left} left. Make new ones on your security page if you are running out."
                )
            return sign_in(user, "recovery code" if left is not None else "password+code", next_url=next_url, message=message)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "accounts/verify.html", form=form, has_totp=user.has_totp, has_passkey=mfa.passkey_count(user) > 0
    ), status


@bp.route("/login/setup", methods=["GET", "POST"])
@limiter.limit(_second_factor_limit, methods=["POST"], key_func=_pending_account_key)
def setup_second_factor():
    """A second factor is required for this account and it has none: set up the authenticator to finish signing in."""
    user = _pending_user()
    if user is None:
        return _start_again()
    form = EnrolForm()
    if request.method == "GET" or mfa.pending_key(user) is None:
        with unit_of_work():
            key = mfa.pending_key(user) if user.totp_secret is not None and not user.has_totp else None
            key = key or mfa.start_enrolment(user)
    key = mfa.pending_key(user)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                codes = mfa.confirm_enrolment(user, form.code.data)
                _factor_changed(user, "An authenticator app was turned on for your account.", "account.mfa_enabled")
        except mfa.CodeError as exc:
            form.code.errors.append(str(exc))
        else:
            next_url = session.get(PENDING, {}).get("next")
            sign_in(user, "password+code", next_url=next_url, message="Two-factor sign-in is on.")
            return render_template("accounts/recovery_codes.html", codes=codes, next_url=safe_next(next_url))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "accounts/enrol.html",
        form=form,
        key=key,
        qr=mfa.qr_svg(mfa.provisioning_uri(user, key)),
        during_sign_in=True,
        action=url_for("accounts.setup_second_factor"),
    ), status


def _factor_changed(user: User, what: str, action: str) -> None:
    """Tell the person by email (someone else doing it is how they would find out), and audit it."""
    from ..organisations import audit

    queue_email(
        user.email,
        "Your sign-in settings changed",
        "accounts/email/security_notice",
        kind="security_notice",
        user=user,
        what=what,
        security=external_url("accounts.security"),
    )
    audit.record(action, actor=user, organisation_id=user.organisation_id, target=user.email, ip_address=client_address())


# ---------------------------------------------------------------- passkeys at sign-in


@bp.post("/login/passkey/options")
@limiter.limit(_address_limit)
def passkey_options():
    user = _pending_user()  # the second step of a password sign-in: that account's passkeys only
    options, record = passkeys.authentication_options(user)
    session[PASSKEY_CHALLENGE] = record
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/login/passkey")
@limiter.limit(_address_limit)
def passkey_login():
    stored = session.pop(PASSKEY_CHALLENGE, None)
    payload = request.get_json(silent=True) or {}
    try:
        challenge, expected_user = passkeys.take_challenge(stored, "authenticate")
        with unit_of_work():
            user = passkeys.authenticate(json_text(payload.get("credential")), challenge, expected_user)
    except passkeys.PasskeyError as exc:
        return jsonify(error=str(exc)), 400
    next_url = (session.get(PENDING) or {}).get("next") or request.args.get("next")
    response = sign_in(user, "passkey", next_url=next_url)
    return jsonify(redirect=response.location)


def json_text(value) -> str:
    return json.dumps(value) if isinstance(value, dict) else ""


# ---------------------------------------------------------------- single sign-on


@bp.get("/sso/<provider>/callback")
def sso_callback(provider: str):
    chosen = sso.providers().get(provider) or abort(404)
    invitation_token = session.pop(SSO_INVITATION, None)
    try:
        claims, id_token = sso.finish(chosen)
        with unit_of_work():
            if invitation_token:
                from ..organisations import invitations

                invitations.accept_by_sso(invitation_token, claims, ip_address=client_address())
            user, created = sso.account_for(chosen, claims)
            if created:
                from ..organisations import audit

                audit.record(
                    "account.created_sso",
                    actor=user,
                    organisation_id=user.organisation_id,
                    target=user.email,
                    detail=f"through {chosen.title}",
                    ip_address=client_address(),
                )
    except sso.SsoRefused as exc:
        return render_template("accounts/sso_refused.html", message=exc.message, action=exc.action), exc.status
    except ValueError as exc:  # an invitation that could not be accepted
        return render_template("accounts/sso_refused.html", message=str(exc), action=""), getattr(exc, "status", 400)
    return sign_in(user, "sso", next_url=session.get("sso_next"), sso_provider=chosen.name, id_token=id_token)


@bp.post("/logout")
def logout():
    record = accounts.current_session(session.get(accounts.SESSION_KEY))
    provider, id_token = (record.sso_provider, record.id_token) if record else ("", "")
    with unit_of_work():
        accounts.end_session(session.get(accounts.SESSION_KEY))
    logout_user()
    session.clear()
    target = sso.end_session_url(provider, id_token) if provider else None
    if target:
        return render_template(
            "accounts/redirecting.html",
            target=target,
            title="Signed out",
            message="You have signed out here. Signing you out of your organisation's sign-in too…",
        )
    flash("You have signed out.", "info")
    return redirect(url_for("accounts.login"), code=303)


# ---------------------------------------------------------------- a forgotten password


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_email_limit, methods=["POST"])
def forgot_password():
    """The same answer, in the same time, whether or not the address has an account: either way
    one email is composed for it and nothing else is said."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        email = accounts.normalise_email(form.email.data)
        user = db.session.scalar(sa.select(User).where(User.email == email))
        with unit_of_work():
            provider = sso.provider_for_email(email)
            if user is not None and user.active and provider is None:
                link = passwords.start_reset(user)
                queue_email(
                    email,
                    "Reset your password",
                    "accounts/email/reset",
                    kind="password_reset",
                    user=user,
                    link=link,
                    minutes=current_app.config["PASSWORD_RESET_MINUTES"],
                )
            elif user is not None and user.active:
                queue_email(
                    email,
                    "How to sign in to the Industry Issues Tracker",
                    "accounts/email/use_sso",
                    kind="password_reset",
                    user=user,
                    provider=provider,
                    sign_in=external_url("accounts.login"),
                )
            else:
                new_token()  # the same work as for an account, so the time taken tells nothing
                if user is None:
                    queue_email(
                        email,
                        "Password reset requested",
                        "accounts/email/no_account",
                        kind="password_reset",
                        access=external_url("organisations.request_access"),
                    )
        return render_template("accounts/forgot_sent.html", email=email)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        passwords.reset_for_token(token)
    except passwords.ResetLinkError as exc:
        return render_template(
            "accounts/link_refused.html",
            title="This link cannot be used",
            message=str(exc),
            again=url_for("accounts.forgot_password"),
        ), exc.status
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = passwords.complete_reset(token, form.password.data)
                _factor_changed(user, "Your password was reset with a link sent to this address.", "account.password_reset")
        except passwords.PasswordRuleError as exc:
            form.password.errors.append(str(exc))
        except passwords.ResetLinkError as exc:
            return render_template(
                "accounts/link_refused.html",
                title="This link cannot be used",
                message=str(exc),
                again=url_for("accounts.forgot_password"),
            ), exc.status
        else:
            flash("Your password has been changed. Sign in with it now.", "success")
            return redirect(url_for("accounts.login"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/reset.html", form=form), status


from . import pages  # noqa: E402,F401  (the account's own pages: routes of this blueprint)
