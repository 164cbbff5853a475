"""Service Management Forum: meetings and their agenda, the calendar feed, the actions log, and
each meeting's pack (rendered by a job, then kept while its figures are unchanged)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from ..core.extensions import db
from ..core.formats import format_date
from ..core.forms import version_number
from ..core.htmx import render_page_or_fragment, wants_fragment
from ..core.permissions import staff_required
from ..core.transaction import ConflictError, unit_of_work
from ..jobs import enqueue
from ..jobs.models import ACTIVE_STATES, DONE, FAILED, Job
from ..organisations import distribution
from ..polls.operations import poll_status
from ..servicedesk.performance import meeting_performance
from . import operations as forum_service
from . import pack as pack_service
from . import questions as question_service
from .calendar import calendar_feed
from .forms import MAX_AGENDA_ITEMS, ActionFilterForm, ActionUpdateForm, EmptyForm, ForumActionForm, MeetingForm
from .models import ForumAction, Meeting

BLANK_AGENDA_ROWS = 2


bp = Blueprint("forum", __name__, template_folder="templates")


def get_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    return meeting


def get_action(number: int) -> ForumAction:
    action = forum_service.get_action(number)
    if action is None:
        abort(404)
    return action


# ---------------------------------------------------------------- meetings


@bp.get("/forum")
@login_required
def index():
    upcoming, past = forum_service.upcoming_and_past(forum_service.london_today())
    return render_template(
        "forum/index.html",
        upcoming=upcoming,
        past=past,
        polls=forum_service.polls_by_meeting(current_user),
        poll_status=poll_status,
    )


@bp.get("/forum/calendar.ics")
def calendar():
    """Public on purpose: calendar clients cannot sign in (see calendar.py for what it leaves out)."""
    meetings = db.session.scalars(sa.select(Meeting).order_by(Meeting.meeting_date)).all()
    return Response(
        calendar_feed(meetings),
        mimetype="text/calendar",
        headers={
            "Content-Disposition": 'inline; filename="service-management-forum.ics"',
            "Cache-Control": "public, max-age=3600",
        },
    )


@bp.get("/forum/meetings/<int:meeting_id>")
@login_required
def meeting(meeting_id: int):
    meeting = get_meeting(meeting_id)
    actions = forum_service.meeting_actions(meeting)
    return render_template(
        "forum/meeting.html",
        meeting=meeting,
        perf=meeting_performance(meeting.meeting_date),
        invitations=distribution.invitation_state(meeting) if current_user.is_staff else None,
        polls=forum_service.polls_by_meeting(current_user).get(meeting.id, []),
        actions=actions,
        poll_status=poll_status,
        answered=question_service.answered_questions(meeting),
        question_count=question_service.question_count(meeting, current_user),
        taking_questions=question_service.taking_questions(meeting, forum_service.london_today()),
    )


def _meeting_data(meeting: Meeting) -> dict:
    return {
        "meeting_date": meeting.meeting_date,
        "title": meeting.title,
        "chair": meeting.chair,
        "start_time": time.fromisoformat(meeting.start_time),
        "end_time": time.fromisoformat(meeting.end_time),
        "recording_url": meeting.recording_url,
        "minutes": meeting.minutes,
        "agenda": [
            {"number": item.number, "topic": item.topic, "presenter": item.presenter} for item in meeting.agenda_items
        ],
    }


def _meeting_page(form: MeetingForm, meeting: Meeting | None):
    """Save the meeting, or show the form again (with another agenda row, or with its errors)."""
    if request.method == "POST" and form.add_agenda_item.data:
        added = len(form.agenda) < MAX_AGENDA_ITEMS
        if added:
            form.agenda.append_entry()
        return render_template("forum/meeting_form.html", form=form, meeting=meeting, added_row=added)
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in ("meeting_date", "title", "chair", "recording_url", "minutes")}
        data["chair"] = data["chair"] or ""
        data["recording_url"] = data["recording_url"] or ""
        data["minutes"] = data["minutes"] or ""
        data["start_time"] = form.start_time.data.strftime("%H:%M")
        data["end_time"] = form.end_time.data.strftime("%H:%M")
        agenda = [
            forum_service.AgendaEntry(row.form.number.data, row.form.topic.data, row.form.presenter.data or "")
            for row in form.agenda
            if row.form.topic.data
        ]
        try:
            with unit_of_work():
                saved = forum_service.save_meeting(meeting, data, agenda, expected_version=version_number(form.version.data))
                # Invitations sent already: the change goes to the same calendars (same UID, higher SEQUENCE).
                updated = distribution.update_sent_invitations(saved)
        except forum_service.ForumError as exc:
            form.meeting_date.errors.append(str(exc))
        except ConflictError as exc:
            form.form_errors.append(f"{exc} Your input is kept below: compare it with the current meeting, then save again.")
            if meeting is not None:
                form.version.data = str(get_meeting(meeting.id).version)
            return render_template("forum/meeting_form.html", form=form, meeting=meeting), 409
        else:
            told = f" The update was sent to {updated} forum invitee{'s' if updated != 1 else ''}." if updated else ""
            flash(f"{saved.title} on {format_date(saved.meeting_date)} saved.{told}", "success")
            return redirect(url_for("forum.meeting", meeting_id=saved.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("forum/meeting_form.html", form=form, meeting=meeting), status


@bp.route("/forum/meetings/new", methods=["GET", "POST"])
@staff_required
def new_meeting():
    if request.method == "GET":
        form = MeetingForm(
            data={"chair": forum_service.default_chair(), "start_time": time(10, 0), "end_time": time(12, 0)}
        )
        for _ in range(4):
            form.agenda.append_entry()
    else:
        form = MeetingForm()
    return _meeting_page(form, None)


@bp.route("/forum/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_meeting(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if request.method == "GET":
        form = MeetingForm(data=_meeting_data(meeting))
        form.version.data = str(meeting.version)
        for _ in range(BLANK_AGENDA_ROWS):
            form.agenda.append_entry()
    else:
        form = MeetingForm()
    return _meeting_page(form, meeting)


@bp.post("/forum/meetings/<int:meeting_id>/invitations", defaults={"change": "invitations"})
@bp.post("/forum/meetings/<int:meeting_id>/cancel", defaults={"change": "cancel"}, endpoint="cancel_meeting")
@staff_required
def meeting_invitations(meeting_id: int, change: str):
    """Send the meeting's calendar invitation to every forum invitee of the contact register (again
    after a change), or its cancellation."""
    meeting = get_meeting(meeting_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    state = distribution.invitation_state(meeting)
    if change == "cancel" and (state is None or state.sent_at is None or state.cancelled_at is not None):
        flash("Only a meeting whose invitations went out can be cancelled here.", "error")
        return redirect(url_for("forum.meeting", meeting_id=meeting.id), code=303)
    with unit_of_work():
        count = distribution.send_meeting_invitations(meeting, cancelled=change == "cancel")
    what = "cancellation" if change == "cancel" else "invitation"
    flash(f"The meeting's {what} is on its way to {count} forum invitee{'s' if count != 1 else ''}.", "success")
    return redirect(url_for("forum.meeting", meeting_id=meeting.id), code=303)


# ---------------------------------------------------------------- the actions log


def _filter_form() -> ActionFilterForm:
    form = ActionFilterForm(formdata=MultiDict(request.args))
    form.owner.choices = [("", "Anyone")] + [(name, name) for name in forum_service.owner_names()]
    return form


@bp.get("/actions")
@login_required
def actions():
    form = _filter_form()
    valid = form.validate()
    query = forum_service.ActionQuery(
        status="" if form.status.errors else (form.status.data or ""),
        owner="" if form.owner.errors else (form.owner.data or ""),
    )
    rows = forum_service.list_actions(query)
    args = {key: value for key, value in vars(query).items() if value}
    response = render_page_or_fragment(
        "forum/actions.html",
        "forum/_action_results.html",
        form=form,
        actions=rows,
        issues=forum_service.linked_issues(rows, current_user),
        args=args,
    )
    if not valid:
        response.status_code = 400
    return response


def _action_fields(form: ForumActionForm) -> dict | None:
    """The form's values for the service, or None when the linked issue is not one the user may see."""
    issue_id = None
    if form.issue_ref.data:
        try:
            issue_id = forum_service.find_issue_for_link(form.issue_ref.data, current_user).id
        except forum_service.ForumError as exc:
            form.issue_ref.errors.append(str(exc))
            return None
    return {
        "description": form.description.data,
        "owner_name": form.owner_name.data,
        "date_raised": form.date_raised.data,
        "meeting_id": form.meeting_id.data or None,
        "issue_id": issue_id,
    }


@bp.route("/actions/new", methods=["GET", "POST"])
@staff_required
def new_action():
    meeting_id = request.args.get("meeting_id", type=int) or 0
    if request.method == "GET":
        form = ForumActionForm(data={"date_raised": forum_service.london_today(), "meeting_id": meeting_id})
    else:
        form = ForumActionForm()
    form.meeting_id.choices = forum_service.meeting_choices("Not raised at a meeting")
    if form.validate_on_submit():
        data = _action_fields(form)
        if data is not None:
            data["status"] = form.status.data
            try:
                with unit_of_work():
                    action = forum_service.create_action(data, current_user)
            except forum_service.ForumError as exc:
                form.form_errors.append(str(exc))
            except ConflictError as exc:
                form.form_errors.append(f"{exc} Your input is kept below: add the action again.")
                return render_template("forum/action_form.html", form=form, action=None), 409
            else:
                flash(f"{action.code} added to the actions log.", "success")
                return redirect(url_for("forum.action", number=action.number), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("forum/action_form.html", form=form, action=None), status


@bp.get("/actions/<int:number>")
@login_required
def action(number: int):
    action = get_action(number)
    issues = forum_service.linked_issues([action], current_user)
    update_form = None
    if current_user.is_staff:
        update_form = ActionUpdateForm(data={"status": action.status, "version": str(action.version)})
    return _action_page(action, issues, update_form)


def _action_page(action: ForumAction, issues: dict, update_form: ActionUpdateForm | None, status: int = 200):
    return render_template(
        "forum/action.html",
        action=action,
        issue=issues.get(action.issue_id),
        authors=forum_service.update_authors([action]),
        update_form=update_form,
    ), status


@bp.post("/actions/<int:number>/updates")
@staff_required
def update_action(number: int):
    action = get_action(number)
    form = ActionUpdateForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                forum_service.record_action_update(
                    action, current_user, status=form.status.data, text=form.text.data or "",
                    expected_version=version_number(form.version.data),
                )
        except forum_service.ForumError as exc:
            form.form_errors.append(str(exc))
        except ConflictError as exc:
            action = get_action(number)
            form.form_errors.append(f"{exc} Your update is kept below: read the history, then record it again.")
            form.version.data = str(action.version)
            return _action_page(action, forum_service.linked_issues([action], current_user), form, 409)
        else:
            flash(f"{action.code} updated: the update is at the top of its history below.", "saved")
            return redirect(url_for("forum.action", number=action.number, _anchor="saved"), code=303)
    return _action_page(action, forum_service.linked_issues([action], current_user), form, 422)


@bp.route("/actions/<int:number>/edit", methods=["GET", "POST"])
@staff_required
def edit_action(number: int):
    action = get_action(number)
    if request.method == "GET":
        form = ForumActionForm(
            data={
                "description": action.description,
                "owner_name": action.owner_name,
                "date_raised": action.date_raised,
                "meeting_id": action.meeting_id or 0,
                "issue_ref": f"IIT-{action.issue_id:04d}" if action.issue_id else "",
                "version": str(action.version),
            }
        )
    else:
        form = ForumActionForm()
    del form.status  # status changes go through an update, so they are journalled with a note
    form.meeting_id.choices = forum_service.meeting_choices("Not raised at a meeting")
    if form.validate_on_submit():
        data = _action_fields(form)
        if data is not None:
            try:
                with unit_of_work():
                    changes = forum_service.edit_action(
                        action, data, current_user, expected_version=version_number(form.version.data)
                    )
            except ConflictError as exc:
                action = get_action(number)
                form.form_errors.append(f"{exc} Your input is kept below: compare it with the action, then save again.")
                form.version.data = str(action.version)
                return render_template("forum/action_form.html", form=form, action=action), 409
            flash(f"{action.code} saved." if changes else "Nothing changed, so nothing was saved.",
                  "success" if changes else "info")
            return redirect(url_for("forum.action", number=action.number), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("forum/action_form.html", form=form, action=action), status


# How many packs one person may have waiting or rendering at once.
PACK_RENDERS_PER_PERSON = 2
# How soon after a failed render the pack may be tried again by opening it.
RETRY_FAILED_AFTER_SECONDS = 60


def _pack_response(meeting: Meeting, pack) -> Response:
    response = make_response(pack.pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'inline; filename="service-management-forum-pack-{meeting.meeting_date.isoformat()}.pdf"'
    )
    response.set_etag(pack.sha256)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


def _progress_page(meeting: Meeting, job: Job | None, status: int = 202):
    template = "forum/_pack_progress.html" if wants_fragment() else "forum/pack_progress.html"
    response = make_response(render_template(template, meeting=meeting, job=job), status)
    response.headers["Vary"] = "HX-Request"
    return response


def latest_pack_job(meeting: Meeting) -> Job | None:
    return db.session.scalar(
        sa.select(Job).where(Job.kind == "meeting_pack", Job.key == str(meeting.id)).order_by(Job.id.desc()).limit(1)
    )


@bp.get("/forum/meetings/<int:meeting_id>/pack.pdf")
@login_required
def meeting_pack_pdf(meeting_id: int):
    """The stored pack while its figures are unchanged; otherwise a render is queued and its progress shown."""
    meeting = get_meeting(meeting_id)
    pack = pack_service.get_pack(meeting)
    digest = pack_service.contents_digest(pack_service.pack_contents(meeting))
    if pack is not None and pack.rendered_at is not None and pack.contents_digest == digest:
        return _pack_response(meeting, pack)
    job = latest_pack_job(meeting)
    recently_failed = (
        job is not None and job.state == FAILED and job.finished_at is not None
        and (datetime.now(UTC) - job.finished_at).total_seconds() < RETRY_FAILED_AFTER_SECONDS
    )
    if not (job is not None and job.active) and not recently_failed:
        # One render per meeting at a time, whoever asks and whichever server answers; and a few
        # per person, so nobody fills the workers' long lane by opening every meeting's pack.
        mine = db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(
            Job.kind == "meeting_pack", Job.user_id == current_user.id, Job.state.in_(ACTIVE_STATES)))
        if mine >= PACK_RENDERS_PER_PERSON:
            abort(429, description=f"You have {mine} meeting packs being prepared already. Open this one again "
                                   "when they are ready: it is prepared then.")
        with unit_of_work():
            job = enqueue("meeting_pack", key=str(meeting.id), user=current_user, meeting_id=meeting.id)
    return _progress_page(meeting, job)


@bp.get("/forum/meetings/<int:meeting_id>/pack")
@login_required
def meeting_pack_status(meeting_id: int):
    """How the pack's render is going (htmx polls this); when it is ready, the browser is sent to the PDF."""
    meeting = get_meeting(meeting_id)
    job = latest_pack_job(meeting)
    if job is None:
        return redirect(url_for("forum.meeting_pack_pdf", meeting_id=meeting.id), code=303)
    response = _progress_page(meeting, job, 200)
    if job.state == DONE and wants_fragment():
        response.headers["HX-Redirect"] = url_for("forum.meeting_pack_pdf", meeting_id=meeting.id)
    return response


from . import question_views  # noqa: E402,F401  (the meeting's questions: routes of this blueprint)
