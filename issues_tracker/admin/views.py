"""Admin: organisations and accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from ..accounts import operations as accounts
from ..accounts.models import Organisation, User
from ..accounts.operations import MIN_PASSWORD_LENGTH
from ..core.extensions import db
from ..core.forms import version_number
from ..core.models import utcnow
from ..core.permissions import admin_required, staff_required
from ..core.transaction import ConflictError, unit_of_work
from ..organisations import access_requests, contacts, domains
from ..organisations.pages import audit_page, management_page
from .forms import OrganisationForm, UserForm

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


def _organisations():
    return db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all()


@bp.get("/")
@staff_required
def index():
    organisations = _organisations()
    users = db.session.scalars(sa.select(User).order_by(User.email)).all()
    return render_template("admin/index.html", organisations=organisations, users=users, org_form=OrganisationForm())


@bp.route("/organisations/new", methods=["GET", "POST"])
@admin_required
def new_organisation():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                accounts.save_organisation(None, name=form.name.data, kind=form.kind.data)
        except accounts.AccountError as exc:
            form.name.errors.append(str(exc))
        else:
            flash(f"Organisation {form.name.data} added.", "success")
            return redirect(url_for("admin.index"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/organisation.html", form=form, organisation=None), status


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@staff_required
def edit_organisation(org_id: int):
    """The organisation's page for staff: its name and kind (admins change them), and its people,
    invitations, requests for access, domains and contacts (organisations.pages)."""
    organisation = db.session.get(Organisation, org_id) or abort(404)
    form = OrganisationForm(obj=organisation) if current_user.is_admin else None
    if request.method == "POST":
        if form is None:
            abort(403)
        if form.validate_on_submit():
            try:
                with unit_of_work():
                    accounts.save_organisation(organisation, name=form.name.data, kind=form.kind.data,
                                               expected_version=version_number(request.form.get("version")))
            except accounts.AccountError as exc:
                form.name.errors.append(str(exc))
            except ConflictError as exc:
                form.form_errors.append(f"{exc} Your input is kept below.")
                return management_page(db.session.get(Organisation, org_id), own=False, status=409, organisation_form=form)
            else:
                flash("Organisation saved.", "success")
                return redirect(url_for("admin.index"), code=303)
        return management_page(db.session.get(Organisation, org_id), own=False, status=422, organisation_form=form)
    return management_page(organisation, own=False, organisation_form=form)


@bp.get("/access-requests", endpoint="access_requests")
@staff_required
def access_requests_page():
    """Requests for access no organisation has claimed, and domain claims awaiting verification."""
    return render_template("admin/access_requests.html", requests=access_requests.all_pending(),
                           claims=domains.pending_claims(), organisations=_organisations(), now=utcnow())


@bp.get("/audit")
@admin_required
def audit():
    return audit_page("admin.audit")


@bp.get("/contacts.<any(csv, xlsx):kind>")
@staff_required
def contact_register(kind: str):
    """Every organisation's contact register, for the forum's distribution lists."""
    stamp = utcnow().strftime("%Y-%m-%d")
    if kind == "csv":
        return Response(contacts.export_csv(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="contact-register-{stamp}.csv"'})
    return Response(contacts.export_xlsx(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="contact-register-{stamp}.xlsx"'})


def _user_form(user: User | None) -> UserForm:
    form = UserForm(obj=user)
    form.organisation_id.choices = [(org.id, org.name) for org in _organisations()]
    if user is None:
        # A new account has no current password to keep.
        form.password.description = f"At least {MIN_PASSWORD_LENGTH} characters."
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def new_user():
    form = _user_form(None)
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append("Set a password for the new account.")
        else:
            try:
                with unit_of_work():
                    user = accounts.create_user(
                        form.email.data, role=form.role.data, password=form.password.data, name=form.name.data or "",
                        organisation_id=form.organisation_id.data, active=bool(form.active.data),
                    )
            except accounts.AccountError as exc:
                message = str(exc)
                if "exists already" in message:
                    message = "An account with that email address exists already."
                (form.password if "password" in message.lower() else form.email).errors.append(message)
            else:
                flash(f"Account for {user.email} created.", "success")
                return redirect(url_for("admin.index"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = _user_form(user)
    if request.method == "GET":
        form.password.data = ""
        form.version.data = str(user.version)
    if form.validate_on_submit():
        key = session.get(accounts.SESSION_KEY)
        try:
            with unit_of_work():
                accounts.update_user(
                    user, acting_user=current_user, email=form.email.data, name=form.name.data or "",
                    role=form.role.data, organisation_id=form.organisation_id.data, active=bool(form.active.data),
                    password=form.password.data or "", keep_session_key=key,
                    expected_version=version_number(form.version.data),
                )
        except ConflictError as exc:
            fresh = db.session.get(User, user_id)
            form.form_errors.append(f"{exc} Your input is kept below: compare it with the account as it is now "
                                    f"({fresh.email}, {fresh.role}), then save again.")
            form.password.data = ""
            form.version.data = str(fresh.version)
            return render_template("admin/user.html", form=form, user=fresh), 409
        except accounts.AccountError as exc:
            message = str(exc)
            target = form.role if "admin role" in message else form.organisation_id if "organisation" in message else (
                form.password if "password" in message.lower() else form.email)
            target.errors.append(message)
        else:
            if form.password.data and user.id == current_user.id:
                login_user(user)  # keep this session; the account's other sessions end
            flash(f"Account {user.email} saved.", "success")
            return redirect(url_for("admin.index"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user.html", form=form, user=db.session.get(User, user_id)), status
