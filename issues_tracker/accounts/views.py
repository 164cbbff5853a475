"""Signing in and out."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from ..core import metrics
from ..core.extensions import limiter, login_manager
from ..core.transaction import unit_of_work
from . import operations as accounts
from .forms import LoginForm
from .models import User

bp = Blueprint("accounts", __name__, template_folder="templates")


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


def _address_and_account_key() -> str:
    # The same normalised address the account lookup uses, so variants of one address share one allowance.
    return f"login:{get_remote_address()}:{accounts.normalise_email(request.form.get('email'))}"


def _address_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_address_limit, methods=["POST"], on_breach=lambda limit: metrics.sign_in_refused("rate_limited"))
@limiter.limit(_account_limit, methods=["POST"], key_func=_address_and_account_key,
               on_breach=lambda limit: metrics.sign_in_refused("rate_limited"))
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            metrics.sign_in_refused("wrong_password")
            form.password.errors.append("That email address and password do not match an active account.")
            return render_template("accounts/login.html", form=form), 422
        with unit_of_work():
            key = accounts.start_session(user)
        session.clear()  # a fresh session: nothing from before sign-in carries over
        login_user(user)
        session[accounts.SESSION_KEY] = key
        flash(f"Signed in as {user.display_name}.", "success")
        return redirect(safe_next(request.args.get("next")), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    with unit_of_work():
        accounts.end_session(session.get(accounts.SESSION_KEY))
    logout_user()
    session.pop(accounts.SESSION_KEY, None)
    flash("You have signed out.", "info")
    return redirect(url_for("accounts.login"), code=303)
