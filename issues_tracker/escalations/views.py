"""/escalations: the escalations a person may see (their organisation's; staff see all), raising
one by either of the pack's routes, and moving it on to closure."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.extensions import db
from ..core.forms import version_number
from ..core.models import utcnow
from ..core.transaction import ConflictError, unit_of_work
from . import operations as escalation_service
from .forms import EscalationForm, StepForm
from .models import Escalation

bp = Blueprint("escalations", __name__, template_folder="templates")

STATUS_FILTERS = {"": "Open", "open": "Open", "closed": "Closed", "all": "All"}
STEPS = ("acknowledge", "next-level", "note", "close")


def get_escalation(escalation_id: int) -> Escalation:
    """Load or 404, then 403 when it is another organisation's."""
    escalation = db.session.get(Escalation, escalation_id)
    if escalation is None:
        abort(404)
    if not escalation_service.can_view(current_user, escalation):
        abort(403)
    return escalation


@bp.get("/escalations")
@login_required
def index():
    status = request.args.get("status", "")
    bad = status not in STATUS_FILTERS
    if bad:
        status = ""
    rows = escalation_service.visible_escalations(current_user, status={"": "open", "all": ""}.get(status, status))
    return render_template(
        "escalations/index.html", escalations=rows, status=status or "open", filters=STATUS_FILTERS, bad_filter=bad,
        now=utcnow(), level_label=escalation_service.level_label,
    ), 400 if bad else 200


def _form_page(form: EscalationForm, status: int = 200):
    return render_template("escalations/new.html", form=form), status


@bp.route("/escalations/new", methods=["GET", "POST"])
@login_required
def new():
    if request.method == "GET":
        kind = request.args.get("kind", "issue")
        form = EscalationForm(data={"subject_kind": kind if kind in ("issue", "case", "incident") else "issue",
                                    "reference": request.args.get("reference", "")[:20]})
        return _form_page(form)
    form = EscalationForm()
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in ("subject_kind", "reference", "reason", "route",
                                                              "blocking_party", "detail")}
        try:
            with unit_of_work():
                escalation = escalation_service.raise_escalation(current_user, data)
        except escalation_service.EscalationError as exc:
            getattr(form, exc.field, form.detail).errors.append(str(exc))
        else:
            flash(f"{escalation.code} raised: your organisation's escalation contacts and the service management team "
                  "are told, and a response is due by the time shown.", "success")
            return redirect(url_for("escalations.detail", escalation_id=escalation.id), code=303)
    return _form_page(form, 422)


def _detail_page(escalation: Escalation, form: StepForm | None = None, step: str = "", status: int = 200):
    return render_template(
        "escalations/detail.html", escalation=escalation, form=form or StepForm(data={"version": str(escalation.version)}),
        step=step, now=utcnow(), level_label=escalation_service.level_label,
        top_level=escalation_service.top_level(escalation.route),
    ), status


@bp.get("/escalations/<int:escalation_id>")
@login_required
def detail(escalation_id: int):
    return _detail_page(get_escalation(escalation_id))


@bp.post("/escalations/<int:escalation_id>/<step>")
@login_required
def move(escalation_id: int, step: str):
    if step not in STEPS:
        abort(404)
    escalation = get_escalation(escalation_id)
    if step in ("acknowledge", "close") and not current_user.is_staff:
        abort(403)
    form = StepForm()
    if form.validate_on_submit():
        expected = version_number(form.version.data)
        try:
            with unit_of_work():
                if step == "acknowledge":
                    escalation_service.acknowledge(escalation, current_user, form.note.data, expected_version=expected)
                elif step == "next-level":
                    escalation_service.next_level(escalation, current_user, form.note.data, expected_version=expected)
                elif step == "close":
                    escalation_service.close(escalation, current_user, form.note.data, expected_version=expected)
                else:
                    escalation_service.add_note(escalation, current_user, form.note.data)
        except escalation_service.EscalationError as exc:
            form.note.errors.append(str(exc))
        except ConflictError as exc:
            escalation = get_escalation(escalation_id)
            form.form_errors.append(f"{exc} Your note is kept below: read the history, then send it again.")
            form.version.data = str(escalation.version)
            return _detail_page(escalation, form, step, 409)
        else:
            done = {"acknowledge": "acknowledged", "next-level": "taken to the next level", "note": "noted",
                    "close": "closed"}[step]
            flash(f"{escalation.code} {done}.", "saved")
            return redirect(url_for("escalations.detail", escalation_id=escalation.id, _anchor="saved"), code=303)
    return _detail_page(escalation, form, step, 422)
