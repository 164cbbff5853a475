"""An organisation letting itself in: the organisation admin's page (/organisation), the changes
made from it or from staff's admin page (/organisations/<id>/…), accepting an invitation
(/invitations/<token>), asking for access (/access/request), and one-click unsubscribe from
distribution emails."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from ..accounts import sso
from ..accounts.models import Organisation
from ..core import choices
from ..core.extensions import csrf, db, limiter
from ..core.forms import version_number
from ..core.transaction import ConflictError, unit_of_work
from . import access_requests, contacts, distribution, domains, invitations
from . import operations as members
from .access import can_manage
from .forms import (
    AcceptInvitationForm,
    AccessRequestForm,
    ContactForm,
    DeclineForm,
    DomainForm,
    SettingsForm,
    VersionForm,
)
from .models import AccessRequest, EmailDomain
from .pages import audit_page, invite_form, management_page, return_to

bp = Blueprint("organisations", __name__, template_folder="templates")


def address() -> str:
    return get_remote_address() or ""


def managed(org_id: int) -> Organisation:
    """The organisation, if the signed-in person may manage it: 404 for a stranger to it (its
    existence is not theirs to learn), login for nobody."""
    organisation = db.session.get(Organisation, org_id)
    if organisation is None:
        abort(404)
    if not can_manage(current_user, organisation):
        abort(403 if current_user.organisation_id == organisation.id else 404)
    return organisation


def _done(organisation: Organisation, message: str):
    flash(message, "saved")
    return redirect(return_to(organisation) + "#saved", code=303)


def _email_limit() -> str:
    return current_app.config["ACCOUNT_EMAIL_RATE_LIMIT"]


@bp.get("/organisation")
@login_required
def index():
    if not current_user.organisation_admin:
        abort(403)
    return management_page(current_user.organisation, own=True)


@bp.get("/organisations/<int:org_id>/audit")
@login_required
def audit_log(org_id: int):
    """The organisation's part of the audit log, for its admins (and staff)."""
    return audit_page("organisations.audit_log", managed(org_id), org_id=org_id)


# ---------------------------------------------------------------- invitations


@bp.post("/organisations/<int:org_id>/invitations")
@login_required
def invite(org_id: int):
    organisation = managed(org_id)
    form = invite_form(request.form)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                invitations.invite(
                    organisation,
                    email=form.email.data,
                    name=form.name.data,
                    role=form.role.data,
                    actor=current_user,
                    ip_address=address(),
                )
        except invitations.InvitationError as exc:
            form.email.errors.append(str(exc))
        else:
            return _done(organisation, f"Invitation sent to {form.email.data}.")
    return management_page(organisation, status=422, invite_form=form)


def _invitation(organisation: Organisation, invitation_id: int):
    return invitations.get(organisation.id, invitation_id) or abort(404)


@bp.post("/organisations/<int:org_id>/invitations/<int:invitation_id>/<any(resend, withdraw):change>")
@login_required
def change_invitation(org_id: int, invitation_id: int, change: str):
    organisation = managed(org_id)
    invitation = _invitation(organisation, invitation_id)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            operation = invitations.resend if change == "resend" else invitations.withdraw
            operation(invitation, actor=current_user, expected_version=version_number(form.version.data), ip_address=address())
    except invitations.InvitationError as exc:
        flash(str(exc), "error")
        return management_page(organisation, status=409)
    except ConflictError as exc:
        flash(str(exc), "error")
        return management_page(organisation, status=409)
    return _done(organisation, f"Invitation to {invitation.email} {'sent again' if change == 'resend' else 'withdrawn'}.")


# ---------------------------------------------------------------- members and settings


@bp.post("/organisations/<int:org_id>/members/<int:user_id>/<any(deactivate, reactivate, 'make-admin', 'remove-admin'):change>")
@login_required
def change_member(org_id: int, user_id: int, change: str):
    organisation = managed(org_id)
    target = members.member(organisation, user_id) or abort(404)
    if not VersionForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            if change in ("deactivate", "reactivate"):
                members.set_active(organisation, target, change == "reactivate", actor=current_user, ip_address=address())
            else:
                members.set_organisation_admin(
                    organisation, target, change == "make-admin", actor=current_user, ip_address=address()
                )
    except members.MemberError as exc:
        flash(str(exc), "error")
        return management_page(organisation, status=409)
    words = {
        "deactivate": "deactivated: signed out everywhere, and sent no more email",
        "reactivate": "reactivated",
        "make-admin": "is now an organisation admin",
        "remove-admin": "is no longer an organisation admin",
    }
    return _done(organisation, f"{target.display_name} {words[change]}.")


@bp.post("/organisations/<int:org_id>/settings")
@login_required
def settings(org_id: int):
    organisation = managed(org_id)
    form = SettingsForm()
    if not form.validate_on_submit():
        return management_page(organisation, status=422, settings_form=form)
    try:
        with unit_of_work():
            members.set_require_mfa(
                organisation,
                bool(form.require_mfa.data),
                actor=current_user,
                expected_version=version_number(form.version.data),
                ip_address=address(),
            )
    except ConflictError as exc:
        form.form_errors.append(str(exc))
        form.version.data = str(db.session.get(Organisation, org_id).version)
        return management_page(db.session.get(Organisation, org_id), status=409, settings_form=form)
    return _done(
        organisation,
        "Two-factor sign-in is now required for everyone in the organisation."
        if form.require_mfa.data
        else "Two-factor sign-in is now optional for the organisation's participants.",
    )


# ---------------------------------------------------------------- email domains


@bp.post("/organisations/<int:org_id>/domains")
@login_required
def claim_domain(org_id: int):
    organisation = managed(org_id)
    form = DomainForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                row = domains.claim(organisation, form.domain.data, actor=current_user, ip_address=address())
        except domains.DomainError as exc:
            form.domain.errors.append(str(exc))
        else:
            return _done(
                organisation, f"{row.domain} claimed{'' if row.verified_at else '; the service-management team will verify it'}."
            )
    return management_page(organisation, status=422, domain_form=form)


@bp.post("/organisations/<int:org_id>/domains/<int:domain_id>/<any(verify, remove):change>")
@login_required
def change_domain(org_id: int, domain_id: int, change: str):
    organisation = managed(org_id)
    row = db.session.get(EmailDomain, domain_id)
    if row is None or row.organisation_id != organisation.id:
        abort(404)
    if change == "verify" and not current_user.is_staff:
        abort(403)
    if not VersionForm().validate_on_submit():
        abort(400)
    with unit_of_work():
        (domains.verify if change == "verify" else domains.remove)(row, actor=current_user, ip_address=address())
    return _done(organisation, f"{row.domain} {'verified' if change == 'verify' else 'removed'}.")


# ---------------------------------------------------------------- the contact register


def _contact_page(organisation: Organisation, form: ContactForm, contact, status: int = 200):
    return render_template(
        "organisations/contact.html", organisation=organisation, form=form, contact=contact, back=request.values.get("back", "")
    ), status


@bp.route("/organisations/<int:org_id>/contacts/new", methods=["GET", "POST"])
@bp.route("/organisations/<int:org_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@login_required
def contact(org_id: int, contact_id: int | None = None):
    organisation = managed(org_id)
    record = None
    if contact_id is not None:
        record = contacts.get(organisation, contact_id) or abort(404)
    if request.method == "GET":
        data = (
            {"name": record.name, "email": record.email, "roles": contacts.roles_of(record), "version": str(record.version)}
            if record
            else {}
        )
        return _contact_page(organisation, ContactForm(formdata=None, data=data), record)
    form = ContactForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                contacts.save(
                    organisation,
                    record,
                    name=form.name.data,
                    email=form.email.data,
                    roles=form.roles.data or [],
                    actor=current_user,
                    expected_version=version_number(form.version.data),
                    ip_address=address(),
                )
        except contacts.ContactError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        except ConflictError as exc:
            form.form_errors.append(f"{exc} Your input is kept below: compare it with the register, then save again.")
            fresh = contacts.get(organisation, contact_id)
            if fresh is None:
                abort(404)
            form.version.data = str(fresh.version)
            return _contact_page(organisation, form, fresh, 409)
        else:
            return _done(organisation, f"Contact {form.email.data} saved.")
    return _contact_page(organisation, form, record, 422)


@bp.post("/organisations/<int:org_id>/contacts/<int:contact_id>/remove")
@login_required
def remove_contact(org_id: int, contact_id: int):
    organisation = managed(org_id)
    record = contacts.get(organisation, contact_id) or abort(404)
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            contacts.remove(
                organisation, record, actor=current_user, expected_version=version_number(form.version.data), ip_address=address()
            )
    except ConflictError as exc:
        flash(str(exc), "error")
        return management_page(organisation, status=409)
    return _done(organisation, f"Contact {record.email} removed.")


# ---------------------------------------------------------------- requests for access


@bp.post("/organisations/<int:org_id>/access-requests/<int:request_id>/<any(approve, decline):decision>")
@login_required
def decide(org_id: int, request_id: int, decision: str):
    organisation = managed(org_id)
    row = db.session.get(AccessRequest, request_id)
    # An organisation's admins decide the requests routed to them; staff any (and place unrouted ones).
    if row is None or (row.organisation_id != organisation.id and not (current_user.is_staff and row.organisation_id is None)):
        abort(404)
    form = DeclineForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            if decision == "approve":
                access_requests.approve(
                    row,
                    actor=current_user,
                    organisation=organisation,
                    expected_version=version_number(form.version.data),
                    ip_address=address(),
                )
            else:
                access_requests.decline(
                    row,
                    actor=current_user,
                    reason=form.reason.data or "",
                    expected_version=version_number(form.version.data),
                    ip_address=address(),
                )
    except (access_requests.AccessRequestError, ConflictError) as exc:
        flash(str(exc), "error")
        return management_page(organisation, status=409)
    return _done(
        organisation,
        f"{row.email} {'approved: the account is made and a welcome sent' if decision == 'approve' else 'declined'}.",
    )


@bp.post("/access-requests/<int:request_id>/<any(approve, decline):decision>")
@login_required
def decide_unrouted(request_id: int, decision: str):
    """Staff decide a request no organisation claimed, choosing the organisation when approving."""
    if not current_user.is_staff:
        abort(403)
    row = db.session.get(AccessRequest, request_id) or abort(404)
    form = DeclineForm()
    if not form.validate_on_submit():
        abort(400)
    organisation = None
    if decision == "approve":
        chosen = request.form.get("organisation_id", "")
        organisation = db.session.get(Organisation, int(chosen)) if chosen.isdigit() and len(chosen) < 10 else None
        if organisation is None:
            flash("Choose the organisation the new account belongs to.", "error")
            return redirect(url_for("admin.access_requests"), code=303)
    try:
        with unit_of_work():
            if organisation is not None:
                access_requests.approve(
                    row,
                    actor=current_user,
                    organisation=organisation,
                    expected_version=version_number(form.version.data),
                    ip_address=address(),
                )
            else:
                access_requests.decline(
                    row,
                    actor=current_user,
                    reason=form.reason.data or "",
                    expected_version=version_number(form.version.data),
                    ip_address=address(),
                )
    except (access_requests.AccessRequestError, ConflictError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.access_requests"), code=303)
    flash(f"{row.email} {'approved into ' + organisation.name if organisation else 'declined'}.", "success")
    return redirect(url_for("admin.access_requests"), code=303)


@bp.route("/access/request", methods=["GET", "POST"])
@limiter.limit(_email_limit, methods=["POST"])
def request_access():
    """The same answer whatever the address: whether it has an account is never said here."""
    form = AccessRequestForm()
    if form.validate_on_submit():
        email = access_requests.checked_email(form.email.data)
        if email is None:
            form.email.errors.append("Enter a valid email address, such as name@company.co.uk.")
        else:
            with unit_of_work():
                access_requests.request_access(
                    email=email,
                    name=form.name.data,
                    organisation_name=form.organisation_name.data,
                    message=form.message.data,
                    ip_address=address(),
                )
            return render_template("organisations/request_sent.html", email=email)
    status = 422 if request.method == "POST" else 200
    return render_template("organisations/request_access.html", form=form), status


@bp.get("/access/verify/<token>")
def verify_access(token: str):
    try:
        with unit_of_work():
            row = access_requests.verify(token, ip_address=address())
    except access_requests.VerifyLinkError as exc:
        return render_template(
            "accounts/link_refused.html",
            title="This link cannot be used",
            message=str(exc),
            again=url_for("organisations.request_access"),
        ), exc.status
    return render_template("organisations/request_verified.html", row=row)


# ---------------------------------------------------------------- accepting an invitation


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(_email_limit, methods=["POST"])
def invitation(token: str):
    try:
        found = invitations.for_token(token)
    except invitations.InvitationLinkError as exc:
        return render_template(
            "accounts/link_refused.html", title="This invitation cannot be used", message=str(exc), again=None
        ), exc.status
    if current_user.is_authenticated:
        return render_template(
            "accounts/link_refused.html",
            title="You are signed in",
            message="Sign out first: this invitation makes a new account.",
            again=None,
        ), 409
    provider = sso.provider_for_email(found.email)
    form = AcceptInvitationForm(
        formdata=request.form if request.method == "POST" else None,
        data={"name": found.name} if request.method == "GET" else None,
    )
    if request.method == "POST" and request.form.get("sso") and provider is not None:
        session["sso_invitation"] = token
        session["sso_next"] = url_for("home.home")
        try:
            target = sso.authorization_url(provider, found.email)
        except sso.SsoRefused as exc:
            return render_template("accounts/sso_refused.html", message=exc.message, action=""), exc.status
        return render_template(
            "accounts/redirecting.html",
            target=target,
            title=f"Signing in with {provider.title}",
            message=f"Taking you to {provider.title} to sign in…",
        )
    if form.validate_on_submit():
        try:
            with unit_of_work():
                invitations.accept(token, name=form.name.data, password=form.password.data, ip_address=address())
        except invitations.InvitationLinkError as exc:
            return render_template(
                "accounts/link_refused.html", title="This invitation cannot be used", message=str(exc), again=None
            ), exc.status
        except ValueError as exc:  # the password's rules
            form.password.errors.append(str(exc))
        else:
            flash("Your account is ready. Sign in with your email address and the password you chose.", "success")
            return redirect(url_for("accounts.login"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "organisations/accept.html", form=form, invitation=found, provider=provider, role_label=invitations.ROLES[found.role]
    ), status


# ---------------------------------------------------------------- unsubscribing a contact


@bp.route("/unsubscribe/contact/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail programs post here with no session (RFC 8058); the signed token is the proof
def unsubscribe(token: str):
    """One click, no sign-in: POST (a mail program's one-click, or the page's button) stops it."""
    found = distribution.read_unsubscribe(token)
    if found is None:
        return render_template(
            "accounts/link_refused.html",
            title="This link is not valid",
            message="This unsubscribe link is incomplete or not one of ours.",
            again=None,
        ), 400
    email, role = found
    label = choices.DISTRIBUTION_ROLES[role]
    if request.method == "POST":
        with unit_of_work():
            distribution.unsubscribe(email, role)
        return render_template("organisations/unsubscribed.html", email=email, label=label, done=True)
    return render_template("organisations/unsubscribed.html", email=email, label=label, done=False, token=token)
