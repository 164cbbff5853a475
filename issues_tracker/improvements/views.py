"""/improvements: the improvement programme's register and overall tracker, and the
continual-service-improvement pipeline (propose, triage, follow)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..accounts.operations import display_names
from ..core import choices
from ..core.extensions import db
from ..core.forms import version_number
from ..core.permissions import staff_required
from ..core.templating import london_today
from ..core.transaction import ConflictError, unit_of_work
from . import pipeline, programme
from .forms import EmptyForm, ProgrammeActionForm, ProgressUpdateForm, ProposalForm, TriageForm
from .models import Improvement, ImprovementAction

bp = Blueprint("improvements", __name__, template_folder="templates")


def get_action(action_id: int) -> ImprovementAction:
    action = programme.get_action(action_id)
    if action is None:
        abort(404)
    return action


def get_improvement(improvement_id: int) -> Improvement:
    """Load or 404, then 403 when the person may not see it."""
    improvement = db.session.get(Improvement, improvement_id)
    if improvement is None:
        abort(404)
    if not pipeline.can_view(current_user, improvement):
        abort(403)
    return improvement


@bp.get("/improvements")
@login_required
def index():
    kind = request.args.get("kind", "")
    status = request.args.get("status", "")
    bad_filter = (kind and kind not in dict(choices.IMPROVEMENT_ACTION_KINDS)) or (
        status and status not in choices.IMPROVEMENT_ACTION_STATUS_CODES)
    if bad_filter:
        kind = status = ""
    return render_template(
        "improvements/index.html",
        tracker=programme.tracker(),
        themes=programme.actions_by_theme(kind=kind, status=status),
        kind=kind,
        status=status,
        improvements=pipeline.visible_improvements(current_user),
        counts=pipeline.pipeline_counts(current_user),
        bad_filter=bad_filter,
    ), 400 if bad_filter else 200


# ---------------------------------------------------------------- the programme's actions


def _action_form_choices(form: ProgrammeActionForm) -> None:
    form.pir_action_id.choices = [("", "None")] + programme.pir_action_choices()


def _action_data(form: ProgrammeActionForm) -> dict:
    return {name: getattr(form, name).data for name in (
        "title", "theme", "kind", "description", "owner_name", "status", "due_on", "issue_ref", "record_number",
        "pir_action_id")}


def _save_action(form: ProgrammeActionForm, action: ImprovementAction | None):
    try:
        with unit_of_work():
            if action is None:
                action = programme.create_action(_action_data(form), current_user)
            else:
                programme.edit_action(action, _action_data(form), current_user,
                                      expected_version=version_number(form.version.data))
    except programme.ProgrammeError as exc:
        target = getattr(form, exc.field, None)
        (target.errors if target is not None else form.form_errors).append(str(exc))
        return None
    except ConflictError as exc:
        form.form_errors.append(f"{exc} Your changes are kept below: check the action, then save again.")
        return render_template("improvements/action_form.html", form=form, action=action), 409
    flash(f"{action.code} saved.", "success")
    return redirect(url_for("improvements.action", action_id=action.id), code=303)


@bp.route("/improvements/actions/new", methods=["GET", "POST"])
@staff_required
def new_action():
    form = ProgrammeActionForm()
    _action_form_choices(form)
    if form.validate_on_submit():
        response = _save_action(form, None)
        if response is not None:
            return response
    status = 422 if request.method == "POST" else 200
    return render_template("improvements/action_form.html", form=form, action=None), status


@bp.route("/improvements/actions/<int:action_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_action(action_id: int):
    action = get_action(action_id)
    if request.method == "GET":
        issue = action.issue_id and f"IIT-{action.issue_id:04d}"
        form = ProgrammeActionForm(data={
            "title": action.title, "theme": action.theme, "kind": action.kind, "description": action.description,
            "owner_name": action.owner_name, "status": action.status, "due_on": action.due_on,
            "issue_ref": issue or "", "record_number": action.record_number, "pir_action_id": action.pir_action_id,
            "version": str(action.version),
        })
    else:
        form = ProgrammeActionForm()
    _action_form_choices(form)
    if form.validate_on_submit():
        response = _save_action(form, action)
        if response is not None:
            return response
    status = 422 if request.method == "POST" else 200
    return render_template("improvements/action_form.html", form=form, action=action), status


@bp.get("/improvements/actions/<int:action_id>")
@login_required
def action(action_id: int):
    action = get_action(action_id)
    form = None
    if current_user.is_staff:
        form = ProgressUpdateForm(data={"status": action.status, "version": str(action.version)})
    return _action_page(action, form)


def _action_page(action: ImprovementAction, form: ProgressUpdateForm | None, status: int = 200):
    return render_template(
        "improvements/action.html",
        action=action,
        issue=programme.linked_issues([action], current_user).get(action.issue_id),
        pir=programme.linked_pir_actions([action]).get(action.pir_action_id),
        overdue=programme.overdue(action, london_today()),
        authors=display_names(update.user_id for update in action.updates),
        form=form,
    ), status


@bp.post("/improvements/actions/<int:action_id>/updates")
@staff_required
def update_action(action_id: int):
    action = get_action(action_id)
    form = ProgressUpdateForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                programme.record_update(action, current_user, status=form.status.data, text=form.text.data or "",
                                        expected_version=version_number(form.version.data))
        except programme.ProgrammeError as exc:
            getattr(form, exc.field, form.text).errors.append(str(exc))
        except ConflictError as exc:
            action = get_action(action_id)
            form.form_errors.append(f"{exc} Your update is kept below: read the history, then record it again.")
            form.version.data = str(action.version)
            return _action_page(action, form, 409)
        else:
            flash(f"{action.code} updated: the update is at the top of its history.", "saved")
            return redirect(url_for("improvements.action", action_id=action.id, _anchor="saved"), code=303)
    return _action_page(action, form, 422)


# ---------------------------------------------------------------- the improvement pipeline


@bp.route("/improvements/propose", methods=["GET", "POST"])
@login_required
def propose():
    form = ProposalForm()
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in ("title", "description", "expected_benefit", "service")}
        try:
            with unit_of_work():
                improvement = pipeline.propose(current_user, data)
        except pipeline.PipelineError as exc:
            getattr(form, exc.field, form.title).errors.append(str(exc))
        else:
            flash(f"Thank you: {improvement.reference} is proposed. You follow it and will be emailed as it moves on.",
                  "success")
            return redirect(url_for("improvements.improvement", improvement_id=improvement.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("improvements/propose.html", form=form), status


def _improvement_page(improvement: Improvement, form: TriageForm | None, status: int = 200):
    return render_template(
        "improvements/improvement.html",
        improvement=improvement,
        form=form,
        following=pipeline.is_following(current_user, improvement),
        followers=pipeline.follower_count(improvement),
        follow_form=EmptyForm(),
    ), status


def _triage_form(improvement: Improvement) -> TriageForm:
    return TriageForm(data={
        "state": improvement.state, "value_score": improvement.value_score, "effort_score": improvement.effort_score,
        "phase": improvement.phase, "owner_name": improvement.owner_name,
        "benefit_measured": improvement.benefit_measured, "version": str(improvement.version),
    })


@bp.get("/improvements/<int:improvement_id>")
@login_required
def improvement(improvement_id: int):
    improvement = get_improvement(improvement_id)
    return _improvement_page(improvement, _triage_form(improvement) if current_user.is_staff else None)


@bp.post("/improvements/<int:improvement_id>/triage")
@staff_required
def triage(improvement_id: int):
    improvement = get_improvement(improvement_id)
    form = TriageForm()
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in (
            "state", "value_score", "effort_score", "phase", "owner_name", "benefit_measured", "note")}
        try:
            with unit_of_work():
                pipeline.triage(improvement, current_user, data, expected_version=version_number(form.version.data))
        except pipeline.PipelineError as exc:
            getattr(form, exc.field, form.note).errors.append(str(exc))
        except ConflictError as exc:
            improvement = get_improvement(improvement_id)
            form.form_errors.append(f"{exc} Your changes are kept below: read its history, then save again.")
            form.version.data = str(improvement.version)
            return _improvement_page(improvement, form, 409)
        else:
            flash(f"{improvement.reference} saved; its followers are told.", "saved")
            return redirect(url_for("improvements.improvement", improvement_id=improvement.id, _anchor="saved"), code=303)
    return _improvement_page(improvement, form, 422)


@bp.post("/improvements/<int:improvement_id>/follow")
@login_required
def follow(improvement_id: int):
    improvement = get_improvement(improvement_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    stop = request.form.get("follow") == "0"
    with unit_of_work():
        if stop:
            pipeline.unfollow(current_user, improvement)
        else:
            pipeline.follow(current_user, improvement)
    flash("You no longer follow this improvement." if stop else "You follow this improvement: you will be emailed as it "
          "moves on.", "success")
    return redirect(url_for("improvements.improvement", improvement_id=improvement.id), code=303)
