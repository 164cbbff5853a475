"""Forum polls: answer, watch the results live, and (staff) build, open, close and export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from functools import lru_cache

import segno
from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.extensions import db, login_manager
from ..core.forms import version_number
from ..core.htmx import wants_fragment
from ..core.models import utcnow
from ..core.permissions import staff_required
from ..core.render_cache import render_cache
from ..core.templating import LONDON
from ..core.transaction import ConflictError, unit_of_work
from ..core.urls import external_url
from ..forum.models import Meeting
from ..forum.operations import meeting_choices
from . import operations as poll_service
from . import results as poll_results
from .forms import PollForm, response_form
from .models import Poll

BLANK_QUESTION_ROWS = 3
# htmx stops polling when it receives this status (and still swaps in the final results).
STOP_POLLING = 286


bp = Blueprint("polls", __name__, template_folder="templates")

def get_poll(poll_id: int) -> Poll:
    """Load or 404; a draft is staff's work in progress, so to anyone else it does not exist."""
    poll = db.session.get(Poll, poll_id)
    if poll is None or not poll_service.can_view_poll(current_user, poll):
        abort(404)
    return poll


# ---------------------------------------------------------------- answering


def _show_page(poll: Poll, form, own_response, *, status: int = 200, problem: str | None = None):
    results = poll_results.poll_results(poll)
    return render_template(
        "polls/show.html",
        poll=poll,
        meeting=db.session.get(Meeting, poll.meeting_id) if poll.meeting_id else None,
        form=form,
        own_response=own_response,
        results=results,
        problem=problem,
        questions={question.id: question for question in poll.questions},
    ), status


@bp.get("/polls/<int:poll_id>")
@login_required
def show(poll_id: int):
    poll = get_poll(poll_id)
    own_response, previous = poll_service.previous_answers(poll, current_user)
    form = response_form(poll, previous) if poll.is_open() else None
    return _show_page(poll, form, own_response)


@bp.post("/polls/<int:poll_id>")
@login_required
def respond(poll_id: int):
    poll = get_poll(poll_id)
    own_response, _previous = poll_service.previous_answers(poll, current_user)
    if not poll.is_open():
        return _show_page(poll, None, own_response, status=409, problem=poll_service.closed_message(poll))
    form = response_form(poll)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                poll_service.record_response(poll, current_user, form.answers())
        except poll_service.PollClosedError as exc:
            return _show_page(get_poll(poll_id), None, own_response, status=409, problem=str(exc))
        except poll_service.ResponseRejected as exc:
            for qid, message in exc.errors.items():
                form[f"q{qid}"].errors = [message]
            form.form_errors.extend(exc.form_errors)
        except poll_service.PollError as exc:
            form.form_errors.append(str(exc))
        except ConflictError as exc:
            form.form_errors.append(f"{exc} Your answers are kept below; send them again.")
            return _show_page(get_poll(poll_id), form, own_response, status=409)
        else:
            flash(
                "Thank you: your response is recorded. You can change it until the poll closes."
                if own_response is None
                else "Your response is updated.",
                "saved",
            )
            return redirect(url_for("polls.show", poll_id=poll.id, _anchor="saved"), code=303)
    return _show_page(poll, form, own_response, status=422)


def _results_etag(poll: Poll, status: str, summary: tuple[int, datetime | None]) -> str:
    """Changes whenever the fragment would: a response added or changed, the poll opened or closed."""
    count, latest = summary
    parts = [
        poll.id,
        int(poll.created_at.timestamp() * 1_000_000),
        status,
        int(poll.closes_at.timestamp()) if poll.closes_at else 0,
        count,
        int(latest.timestamp() * 1_000_000) if latest else 0,
    ]
    return "poll-results-" + "-".join(str(part) for part in parts)


def poll_address(poll: Poll) -> str:
    """Where voters answer the poll: under the configured site address (never the request's headers)."""
    return external_url("polls.show", poll_id=poll.id)


@lru_cache(maxsize=64)
def qr_code_data_uri(address: str) -> str:
    """A QR code for the address, as an SVG image (segno); the same address always gives the same image."""
    return segno.make(address, error="m").svg_data_uri(scale=10, border=2, dark="#0b2e59")


def _projector_page(poll: Poll):
    """The meeting room's screen: the poll's live results, large, and a QR code that takes voters to the poll."""
    address = poll_address(poll)
    response = make_response(render_template(
        "polls/projector.html",
        poll=poll,
        results=poll_results.poll_results(poll),
        address=address,
        qr_code=qr_code_data_uri(address),
    ))
    response.headers["Vary"] = "HX-Request"
    return response


@bp.get("/polls/<int:poll_id>/results")
def results(poll_id: int):
    """The live results fragment; every open browser asks for it every few seconds.
    Opened as a page (not by htmx), it is the full-screen view for the projector.

    Cheap when nothing changed: two small queries and a 304 for the browser's copy,
    or the fragment this process rendered already for another browser.
    """
    if not current_user.is_authenticated:
        if wants_fragment():
            # Signed out mid-meeting: send the whole page to sign-in, not the login form into the results box.
            response = make_response("", 401)
            response.headers["HX-Redirect"] = url_for("accounts.login", next=url_for("polls.show", poll_id=poll_id))
            return response
        return login_manager.unauthorized()
    poll = get_poll(poll_id)
    if not wants_fragment():
        return _projector_page(poll)
    summary = poll_results.response_summary(poll.id)
    status = poll_service.poll_status(poll)
    etag = None
    if status != "draft":  # a draft's questions may still change, so it is never cached
        etag = _results_etag(poll, status, summary)
        if request.if_none_match.contains(etag):
            response = make_response("", 304)
            response.set_etag(etag)
            response.headers["Cache-Control"] = "private, no-cache"
            return response
    fragment = render_cache("poll_results").get(etag) if etag else None
    if fragment is None:
        fragment = render_template("polls/_results.html", results=poll_results.poll_results(poll, summary=summary))
        if etag:
            render_cache("poll_results").put(etag, fragment)
    code = STOP_POLLING if status == "closed" and wants_fragment() else 200
    response = make_response(fragment, code)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "HX-Request"
    if etag:
        response.set_etag(etag)
    return response


@bp.get("/polls/<int:poll_id>/results.csv")
@staff_required
def export_csv(poll_id: int):
    poll = get_poll(poll_id)
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so Excel opens it as UTF-8
    csv.writer(buffer).writerows(poll_results.export_rows(poll))
    slug = re.sub(r"[^a-z0-9]+", "-", poll.title.lower()).strip("-")[:60] or "poll"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="poll-{poll.id}-{slug}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


# ---------------------------------------------------------------- building, opening, closing


def _to_london(value: datetime | None) -> datetime | None:
    return value.astimezone(LONDON).replace(tzinfo=None) if value else None


def _from_london(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=LONDON).astimezone(UTC) if value else None


def _question_rows(poll: Poll) -> list[dict]:
    return [
        {"text": q.text, "kind": q.kind, "required": q.required, "options": q.options} for q in poll.questions
    ]


def _poll_form(poll: Poll | None) -> PollForm:
    if request.method == "GET":
        if poll is None:
            data = {"meeting_id": request.args.get("meeting_id", type=int) or 0}
        else:
            data = {
                "title": poll.title,
                "intro": poll.intro,
                "meeting_id": poll.meeting_id or 0,
                "closes_at": _to_london(poll.closes_at),
                "questions": _question_rows(poll),
                "version": str(poll.version),
            }
        form = PollForm(data=data)
        if poll is None or poll.state == "draft":
            for _ in range(BLANK_QUESTION_ROWS if poll is None else 1):
                form.questions.append_entry()
    else:
        form = PollForm()
    form.meeting_id.choices = meeting_choices("Not tied to a meeting")
    form.questions_editable = poll is None or poll.state == "draft"
    form.offer_standard = poll is None
    return form


def _closes_at(form: PollForm, poll: Poll | None) -> tuple[bool, datetime | None]:
    """The close time in UTC; False when it is a new time that has already passed."""
    closes_at = _from_london(form.closes_at.data)
    if closes_at is None:
        return True, None
    if poll is not None and poll.closes_at is not None and closes_at == poll.closes_at.replace(second=0, microsecond=0):
        return True, poll.closes_at  # unchanged (the form shows minutes only)
    if closes_at <= utcnow():
        form.closes_at.errors.append("That time has passed. Choose a later close time, or leave it blank.")
        return False, None
    return True, closes_at


def _poll_page(form: PollForm, poll: Poll | None):
    if request.method == "POST" and form.add_question.data:
        added = form.questions_editable and len(form.questions) < poll_service.MAX_QUESTIONS
        if added:
            form.questions.append_entry()
        return render_template("polls/form.html", form=form, poll=poll, added_row=added)
    if form.validate_on_submit():
        ok, closes_at = _closes_at(form, poll)
        if ok:
            data = {
                "title": form.title.data,
                "intro": form.intro.data or "",
                "meeting_id": form.meeting_id.data or None,
                "closes_at": closes_at,
            }
            questions = None
            if form.questions_editable:
                standard = poll_service.STANDARD_FEEDBACK_QUESTIONS if form.offer_standard and form.use_standard.data else []
                questions = list(standard) + form.question_specs()
                if poll is None and standard and not data["intro"]:
                    data["intro"] = poll_service.STANDARD_FEEDBACK_INTRO
            try:
                with unit_of_work():
                    if poll is None:
                        saved = poll_service.create_poll(data, questions)
                    else:
                        saved = poll_service.update_poll(
                            poll, data, questions, expected_version=version_number(form.version.data)
                        )
            except poll_service.PollError as exc:
                form.form_errors.append(str(exc))
            except ConflictError as exc:
                form.form_errors.append(f"{exc} Your input is kept below: compare it with the poll, then save again.")
                if poll is not None:
                    poll = get_poll(poll.id)
                    form.version.data = str(poll.version)
                return render_template("polls/form.html", form=form, poll=poll), 409
            else:
                flash(
                    f"Poll “{saved.title}” saved as a draft. Open it when the meeting reaches it."
                    if saved.state == "draft" else f"Poll “{saved.title}” saved.",
                    "success",
                )
                return redirect(url_for("polls.show", poll_id=saved.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("polls/form.html", form=form, poll=poll), status


@bp.route("/polls/new", methods=["GET", "POST"])
@staff_required
def new():
    return _poll_page(_poll_form(None), None)


@bp.route("/polls/<int:poll_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(poll_id: int):
    poll = get_poll(poll_id)
    return _poll_page(_poll_form(poll), poll)


@bp.post("/polls/<int:poll_id>/open")
@staff_required
def open_poll(poll_id: int):
    poll = get_poll(poll_id)
    try:
        with unit_of_work():
            cleared = poll_service.open_poll(poll, user=current_user)
    except (poll_service.PollError, ConflictError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("polls.show", poll_id=poll.id), code=303)
    flash(
        "The poll is open again. Its close time had passed, so it now stays open until you close it."
        if cleared else "The poll is open: participants can answer now.",
        "success",
    )
    return redirect(url_for("polls.show", poll_id=poll.id), code=303)


@bp.post("/polls/<int:poll_id>/close")
@staff_required
def close_poll(poll_id: int):
    poll = get_poll(poll_id)
    try:
        with unit_of_work():
            poll_service.close_poll(poll)
    except (poll_service.PollError, ConflictError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("polls.show", poll_id=poll.id), code=303)
    flash("The poll is closed: it takes no more responses, and the results are final.", "success")
    return redirect(url_for("polls.show", poll_id=poll.id), code=303)
