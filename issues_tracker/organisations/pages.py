"""An organisation's management page, rendered for its own admins (/organisation) and for staff
(/admin/organisations/<id>): members, invitations, requests for access, email domains, the
contact register, sign-in settings and the latest audit entries. Every form on it posts to
/organisations/<id>/…, whose answers come back to the page the person came from."""

from __future__ import annotations

from datetime import date

from flask import render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..accounts.models import Organisation
from ..core import choices
from ..core.models import utcnow
from . import access_requests, audit, contacts, domains, invitations
from . import operations as members
from .contacts import opt_outs
from .forms import AuditFilterForm, ContactForm, DeclineForm, DomainForm, InviteForm, SettingsForm, VersionForm


def return_to(organisation: Organisation) -> str:
    """Where a change made on the management page comes back to: the page it was made on."""
    if current_user.is_staff and request.values.get("back") != "own":
        return url_for("admin.edit_organisation", org_id=organisation.id)
    return url_for("organisations.index")


def invite_form(formdata=None) -> InviteForm:
    form = InviteForm(formdata=formdata) if formdata is not None else InviteForm(formdata=None)
    form.role.choices = invitations.roles_for(current_user)
    return form


def management_context(organisation: Organisation, *, own: bool, **forms) -> dict:
    register = contacts.register_of(organisation)
    settings = SettingsForm(formdata=None, data={"require_mfa": organisation.require_mfa, "version": organisation.version})
    return {
        "organisation": organisation,
        "members": members.members(organisation),
        "invitations": invitations.listing(organisation),
        "role_labels": invitations.ROLES,
        "requests": access_requests.pending_for(organisation),
        "domains": domains.domains_of(organisation),
        "register": register,
        "opted_out": opt_outs({contact.email for contact in register}),
        "contact_roles": choices.CONTACT_ROLES,
        "distribution_roles": choices.DISTRIBUTION_ROLES,
        "recent": audit.recent_for(organisation.id),
        "audit_labels": audit.ACTIONS,
        "now": utcnow(),
        "invite_form": forms.get("invite_form") or invite_form(),
        "domain_form": forms.get("domain_form") or DomainForm(formdata=None),
        "settings_form": forms.get("settings_form") or settings,
        "contact_form": forms.get("contact_form") or ContactForm(formdata=None),
        "decline_form": DeclineForm(formdata=None),
        "version_form": VersionForm(formdata=None),
        "back": "own" if own else "",
    }


def management_page(organisation: Organisation, *, own: bool | None = None, status: int = 200, **forms):
    """The page with these forms (one with errors, say); own: the organisation admin's /organisation
    (default: unless staff came from the admin page)."""
    if own is None:
        own = not current_user.is_staff or request.values.get("back") == "own"
    if own:
        return render_template("organisations/index.html", **management_context(organisation, own=True, **forms)), status
    return render_template(
        "admin/organisation.html",
        form=forms.pop("organisation_form", None),
        **management_context(organisation, own=False, **forms),
    ), status


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def audit_page(endpoint: str, organisation: Organisation | None = None, **endpoint_args):
    """The audit log, filtered by the query string: one organisation's, or (for admins) everyone's."""
    form = AuditFilterForm(formdata=MultiDict(request.args))
    form.action.choices = [("", "Anything")] + sorted(audit.ACTIONS.items(), key=lambda item: item[1])
    names = audit.organisation_names() if organisation is None else {}
    form.organisation.choices = [("", "Every organisation")] + [(str(key), name) for key, name in names.items()]
    valid = form.validate()
    since, until = _day(form.since.data), _day(form.until.data)
    if form.since.data and since is None:
        form.since.errors = ["Use the form YYYY-MM-DD."]
    if form.until.data and until is None:
        form.until.errors = ["Use the form YYYY-MM-DD."]
    organisation_id = (
        organisation.id if organisation else (int(form.organisation.data) if valid and form.organisation.data else None)
    )
    try:
        page_number = max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        page_number = 1
    query = audit.AuditFilter(
        organisation_id=organisation_id,
        action=form.action.data if valid else "",
        actor=(form.actor.data or "") if valid else "",
        since=since,
        until=until,
        page=page_number,
    )
    page = audit.entries(query)
    args = {key: value for key, value in request.args.items() if key != "page" and value}

    def link(number: int) -> str:
        return url_for(endpoint, **endpoint_args, **args, page=number)

    status = 400 if form.errors else 200
    return render_template(
        "organisations/audit.html",
        form=form,
        page=page,
        organisation=organisation,
        labels=audit.ACTIONS,
        prev_url=link(page.page - 1) if page.page > 1 else None,
        next_url=link(page.page + 1) if page.page < page.pages else None,
    ), status
