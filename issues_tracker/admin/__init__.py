"""Admin: organisations and accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user

from ..extensions import db
from ..forms.admin import OrganisationForm, UserForm
from ..models import Organisation, User
from ..permissions import admin_required
from ..services.accounts import MIN_PASSWORD_LENGTH

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _organisations():
    return db.session.scalars(sa.select(Organisation).order_by(Organisation.name)).all()


@bp.get("/")
@admin_required
def index():
    organisations = _organisations()
    users = db.session.scalars(sa.select(User).order_by(User.email)).all()
    return render_template("admin/index.html", organisations=organisations, users=users, org_form=OrganisationForm())


def _name_taken(name: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(Organisation.id).where(sa.func.lower(Organisation.name) == name.lower())
    if exclude_id:
        stmt = stmt.where(Organisation.id != exclude_id)
    return db.session.scalar(stmt) is not None


@bp.route("/organisations/new", methods=["GET", "POST"])
@admin_required
def new_organisation():
    form = OrganisationForm()
    if form.validate_on_submit():
        if _name_taken(form.name.data):
            form.name.errors.append("An organisation with that name exists already.")
        else:
            db.session.add(Organisation(name=form.name.data, kind=form.kind.data))
            db.session.commit()
            flash(f"Organisation {form.name.data} added.", "success")
            return redirect(url_for("admin.index"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/organisation.html", form=form, organisation=None), status


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
@admin_required
def edit_organisation(org_id: int):
    organisation = db.session.get(Organisation, org_id) or abort(404)
    form = OrganisationForm(obj=organisation)
    if form.validate_on_submit():
        if _name_taken(form.name.data, exclude_id=organisation.id):
            form.name.errors.append("An organisation with that name exists already.")
        else:
            form.populate_obj(organisation)
            db.session.commit()
            flash("Organisation saved.", "success")
            return redirect(url_for("admin.index"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/organisation.html", form=form, organisation=organisation), status


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
        email = form.email.data.lower()
        if db.session.scalar(sa.select(User.id).where(User.email == email)):
            form.email.errors.append("An account with that email address exists already.")
        elif not form.password.data:
            form.password.errors.append("Set a password for the new account.")
        else:
            user = User(email=email, name=form.name.data or "", role=form.role.data,
                        organisation_id=form.organisation_id.data, active=form.active.data)
            user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            flash(f"Account for {email} created.", "success")
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
    if form.validate_on_submit():
        email = form.email.data.lower()
        clash = db.session.scalar(sa.select(User.id).where(User.email == email, User.id != user.id))
        if clash:
            form.email.errors.append("Another account uses that email address.")
        elif user.id == current_user.id and (form.role.data != "admin" or not form.active.data):
            form.role.errors.append("You cannot remove your own admin role or deactivate yourself.")
        else:
            user.email = email
            user.name = form.name.data or ""
            user.role = form.role.data
            user.organisation_id = form.organisation_id.data
            user.active = form.active.data
            if form.password.data:
                user.set_password(form.password.data)
            db.session.commit()
            if form.password.data and user.id == current_user.id:
                login_user(user)  # keep this session; the account's other sessions end
            flash(f"Account {email} saved.", "success")
            return redirect(url_for("admin.index"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user.html", form=form, user=user), status
