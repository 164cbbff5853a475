"""The person's own account pages, routes of the accounts blueprint: /account/security
(password, two-factor, passkeys, sessions, API tokens), their data as JSON, closing the account."""

from __future__ import annotations

import json

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..api import tokens as api_tokens
from ..api.models import ApiToken
from ..core.extensions import db, limiter
from ..core.transaction import unit_of_work
from . import mfa, passkeys, passwords, privacy
from . import operations as accounts
from .forms import ApiTokenForm, ChangePasswordForm, CloseAccountForm, CodeForm, ConfirmPasswordForm, EmptyForm, EnrolForm
from .views import _factor_changed, _second_factor_limit, bp, client_address, json_text

REGISTER_CHALLENGE = "passkey_register_challenge"


def _user_key() -> str:
    return f"second-factor:{current_user.get_id() if current_user.is_authenticated else request.remote_addr}"


def _security_page(password_form: ChangePasswordForm | None = None, status: int = 200, **extra):
    key = session.get(accounts.SESSION_KEY)
    current = accounts.current_session(key)
    return render_template(
        "accounts/security.html",
        password_form=password_form or ChangePasswordForm(formdata=None),
        confirm_form=ConfirmPasswordForm(formdata=None),
        empty_form=EmptyForm(formdata=None),
        sessions=accounts.sessions_of(current_user),
        current_session_id=current.id if current else None,
        passkeys=passkeys.passkeys_of(current_user),
        recovery_left=mfa.unused_recovery_codes(current_user) if current_user.has_totp else 0,
        required=mfa.second_factor_required(current_user),
        api_tokens=api_tokens.tokens_of(current_user),
        token_form=extra.pop("token_form", None) or ApiTokenForm(formdata=None),
        may_make_service_token=api_tokens.can_make_service_token(current_user, current_user.organisation),
        **extra,
    ), status


@bp.get("/account/security")
@login_required
def security():
    return _security_page()


@bp.post("/account/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    if not current_user.has_password:
        abort(400, "This account signs in with single sign-on; it has no password to change.")
    if form.validate_on_submit():
        try:
            with unit_of_work():
                passwords.change_password(current_user, form.current.data, form.password.data)
                accounts.end_sessions(current_user, keep_key=session.get(accounts.SESSION_KEY))
                _factor_changed(current_user, "Your password was changed.", "account.password_changed")
        except passwords.PasswordRuleError as exc:
            (form.current if "current" in str(exc) else form.password).errors.append(str(exc))
        else:
            login_user(current_user._get_current_object())  # this session goes on; every other one has ended
            flash("Your password has been changed. Your other sessions have been signed out.", "saved")
            return redirect(url_for("accounts.security", _anchor="saved"), code=303)
    return _security_page(form, 422)


def _confirmed(form) -> bool:
    """Changes that weaken sign-in need the current password (accounts that have one)."""
    if not current_user.has_password:
        return True
    return bool(form.current.data) and current_user.check_password(form.current.data)


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@login_required
@limiter.limit(_second_factor_limit, methods=["POST"], key_func=_user_key)
def enrol():
    user = current_user._get_current_object()
    if user.has_totp:
        flash("The authenticator app is on already. Turn it off first to set up another.", "info")
        return redirect(url_for("accounts.security", _anchor="saved"), code=303)
    if user.totp_secret is None or mfa.pending_key(user) is None:
        with unit_of_work():
            mfa.start_enrolment(user)
    key = mfa.pending_key(user)
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                codes = mfa.confirm_enrolment(user, form.code.data)
                _factor_changed(user, "An authenticator app was turned on for your account.", "account.mfa_enabled")
        except mfa.CodeError as exc:
            form.code.errors.append(str(exc))
        else:
            return render_template("accounts/recovery_codes.html", codes=codes, next_url=url_for("accounts.security"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "accounts/enrol.html",
        form=form,
        key=key,
        qr=mfa.qr_svg(mfa.provisioning_uri(user, key)),
        during_sign_in=False,
        action=url_for("accounts.enrol"),
    ), status


@bp.post("/account/two-factor/disable")
@login_required
def disable_totp():
    form = ConfirmPasswordForm()
    user = current_user._get_current_object()
    if not form.validate_on_submit() or not _confirmed(form):
        flash("Enter your current password to turn the authenticator off.", "error")
        return _security_page(status=422)
    if mfa.second_factor_required(user) and mfa.passkey_count(user) == 0:
        flash("Your account needs a second factor: add a passkey before turning the authenticator off.", "error")
        return _security_page(status=409)
    with unit_of_work():
        mfa.disable_totp(user)
        _factor_changed(user, "The authenticator app was turned off for your account.", "account.mfa_disabled")
    flash("The authenticator app is off.", "saved")
    return redirect(url_for("accounts.security", _anchor="saved"), code=303)


@bp.post("/account/two-factor/recovery-codes")
@login_required
@limiter.limit(_second_factor_limit, key_func=_user_key)
def new_recovery_codes():
    form = CodeForm()
    user = current_user._get_current_object()
    if not user.has_totp:
        abort(409, "Turn on the authenticator app first.")
    if form.validate_on_submit():
        try:
            with unit_of_work():
                mfa.verify_second_factor(user, form.code.data)
                codes = mfa.new_recovery_codes(user)
        except mfa.CodeError as exc:
            flash(str(exc), "error")
            return _security_page(status=422)
        return render_template("accounts/recovery_codes.html", codes=codes, next_url=url_for("accounts.security"))
    flash("Enter a current code from your authenticator app to make new recovery codes.", "error")
    return _security_page(status=422)


# ---------------------------------------------------------------- passkeys


@bp.post("/account/passkeys/options")
@login_required
def passkey_registration_options():
    try:
        options, record = passkeys.registration_options(current_user)
    except passkeys.PasskeyError as exc:
        return jsonify(error=str(exc)), 409
    session[REGISTER_CHALLENGE] = record
    return current_app.response_class(options, mimetype="application/json")


@bp.post("/account/passkeys")
@login_required
def add_passkey():
    stored = session.pop(REGISTER_CHALLENGE, None)
    payload = request.get_json(silent=True) or {}
    user = current_user._get_current_object()
    try:
        challenge, user_id = passkeys.take_challenge(stored, "register")
        if user_id != user.id:
            raise passkeys.PasskeyError("That was started by another account. Try again.")
        with unit_of_work():
            passkey = passkeys.register(user, json_text(payload.get("credential")), challenge, str(payload.get("name") or ""))
            _factor_changed(user, f"A passkey ({passkey.name}) was added to your account.", "account.passkey_added")
    except passkeys.PasskeyError as exc:
        return jsonify(error=str(exc)), 400
    flash(f"Passkey “{passkey.name}” added. You can sign in with it instead of your password and code.", "saved")
    return jsonify(redirect=url_for("accounts.security", _anchor="saved"))


@bp.post("/account/passkeys/<int:passkey_id>/delete")
@login_required
def remove_passkey(passkey_id: int):
    form = ConfirmPasswordForm()
    user = current_user._get_current_object()
    if not form.validate_on_submit() or not _confirmed(form):
        flash("Enter your current password to remove a passkey.", "error")
        return _security_page(status=422)
    if mfa.second_factor_required(user) and not user.has_totp and mfa.passkey_count(user) <= 1:
        flash("Your account needs a second factor: turn on the authenticator app before removing your last passkey.", "error")
        return _security_page(status=409)
    with unit_of_work():
        removed = passkeys.remove(user, passkey_id)
        if removed is None:
            abort(404)
        _factor_changed(user, f"The passkey “{removed.name}” was removed from your account.", "account.passkey_removed")
    flash(f"Passkey “{removed.name}” removed.", "saved")
    return redirect(url_for("accounts.security", _anchor="saved"), code=303)


# ---------------------------------------------------------------- sessions


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work():
        ended = accounts.end_session_by_id(current_user, session_id)
    if not ended:
        abort(404)
    flash("That session has been signed out.", "saved")
    return redirect(url_for("accounts.security", _anchor="saved"), code=303)


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    with unit_of_work():
        accounts.end_sessions(current_user, keep_key=session.get(accounts.SESSION_KEY))
    flash("Every other session has been signed out.", "saved")
    return redirect(url_for("accounts.security", _anchor="saved"), code=303)


# ---------------------------------------------------------------- API tokens


@bp.post("/account/tokens")
@login_required
def create_api_token():
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _security_page(status=422, token_form=form)
    user = current_user._get_current_object()
    organisation = user.organisation if form.service.data else None
    try:
        with unit_of_work():
            made = api_tokens.create_token(
                user, form.name.data, form.scope.data, expires_days=int(form.expires.data) if form.expires.data else None,
                organisation=organisation,
            )
    except api_tokens.TokenError as exc:
        form.name.errors.append(str(exc))
        return _security_page(status=422, token_form=form)
    # Shown on this page only: the token is stored as a hash and can never be shown again.
    return _security_page(new_token=made.token, new_token_name=made.record.name)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    token = db.session.get(ApiToken, token_id)
    if token is None or not api_tokens.can_revoke(current_user, token):
        abort(404)
    with unit_of_work():
        api_tokens.revoke_token(token)
    flash(f"The token “{token.name}” is revoked: it no longer works.", "saved")
    return redirect(url_for("accounts.security", _anchor="saved"), code=303)


# ---------------------------------------------------------------- your own data


@bp.get("/account/data.json")
@login_required
def my_data():
    body = json.dumps(privacy.export(current_user), indent=2, ensure_ascii=False)
    return Response(body, mimetype="application/json", headers={"Content-Disposition": 'attachment; filename="my-data.json"'})


@bp.route("/account/close", methods=["GET", "POST"])
@login_required
def close_account():
    form = CloseAccountForm()
    user = current_user._get_current_object()
    if user.is_admin:
        return render_template("accounts/close.html", form=form, blocked=True), 409 if request.method == "POST" else 200
    if form.validate_on_submit():
        if accounts.normalise_email(form.confirm_email.data) != user.email:
            form.confirm_email.errors.append("Type your own email address exactly.")
        elif not _confirmed(form):
            form.current.errors.append("That is not your current password.")
        else:
            with unit_of_work():
                from ..organisations import audit

                audit.record(
                    "account.closed",
                    actor=user,
                    organisation_id=user.organisation_id,
                    target=user.email,
                    ip_address=client_address(),
                )
                privacy.close(user)
            logout_user()
            session.clear()
            return render_template("accounts/closed.html")
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/close.html", form=form, blocked=False), status
