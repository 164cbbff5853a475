"""The meeting's questions: a page that follows itself live (htmx asks for the list every few
seconds and gets 304 while nothing changed), beside the meeting's open poll. Routes of the
forum blueprint."""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..core.extensions import db
from ..core.forms import version_number
from ..core.htmx import wants_fragment
from ..core.permissions import staff_required
from ..core.transaction import ConflictError, unit_of_work
from ..polls import results as poll_results
from ..polls.operations import poll_status
from . import operations as forum_service
from . import questions as question_service
from .forms import AnswerForm, EmptyForm, QuestionForm
from .models import Meeting, MeetingQuestion, QuestionVote
from .views import bp, get_meeting


def _question(meeting: Meeting, question_id: int) -> MeetingQuestion:
    question = question_service.visible_question(current_user, question_id)
    if question is None or question.meeting_id != meeting.id:
        abort(404)
    return question


def _list_etag(meeting: Meeting) -> str:
    """Changes whenever anything this person sees in the list changes: a question asked,
    published, answered or removed (each bumps a version), or a vote cast or taken back."""
    summary = db.session.execute(
        sa.select(
            sa.func.count(MeetingQuestion.id),
            sa.func.max(MeetingQuestion.id),
            sa.func.sum(MeetingQuestion.version),
            sa.func.sum(MeetingQuestion.votes),
            sa.func.sum(sa.case((MeetingQuestion.state == question_service.PUBLISHED, 1), else_=0)),
        ).where(MeetingQuestion.meeting_id == meeting.id)
    ).one()
    own_votes = db.session.scalar(
        sa.select(sa.func.count(QuestionVote.id))
        .join(MeetingQuestion, MeetingQuestion.id == QuestionVote.question_id)
        .where(MeetingQuestion.meeting_id == meeting.id, QuestionVote.user_id == current_user.id)
    )
    taking = question_service.taking_questions(meeting, forum_service.london_today())
    key = f"{meeting.id}:{current_user.id}:{tuple(summary)}:{own_votes}:{taking}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _open_poll(meeting: Meeting):
    polls = forum_service.polls_by_meeting(current_user).get(meeting.id, [])
    return next((poll for poll in polls if poll_status(poll) == "open"), None)


def _list(meeting: Meeting, status: int = 200, message: str | None = None):
    etag = _list_etag(meeting)
    if status == 200 and request.method == "GET" and request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        response = make_response(render_template(
            "forum/_questions.html",
            meeting=meeting,
            questions=question_service.questions_for(meeting, current_user),
            message=message,
            action_form=EmptyForm(),
            taking=question_service.taking_questions(meeting, forum_service.london_today()),
        ), status)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "HX-Request"
    return response


def _page(meeting: Meeting, form: QuestionForm, status: int = 200, message: str | None = None):
    poll = _open_poll(meeting)
    return render_template(
        "forum/questions.html",
        meeting=meeting,
        form=form,
        questions=question_service.questions_for(meeting, current_user),
        taking=question_service.taking_questions(meeting, forum_service.london_today()),
        poll=poll,
        results=poll_results.poll_results(poll) if poll else None,
        action_form=EmptyForm(),
        message=message,
    ), status


@bp.get("/forum/meetings/<int:meeting_id>/questions")
@login_required
def questions(meeting_id: int):
    meeting = get_meeting(meeting_id)
    if wants_fragment():
        return _list(meeting)
    return _page(meeting, QuestionForm())


@bp.post("/forum/meetings/<int:meeting_id>/questions")
@login_required
def ask_question(meeting_id: int):
    meeting = get_meeting(meeting_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                question_service.ask(
                    meeting, current_user, form.body.data, anonymous=form.anonymous.data,
                    today=forum_service.london_today(),
                )
        except question_service.QuestionError as exc:
            form.body.errors = [str(exc)]
        else:
            told = "It is on the list now." if current_user.is_staff else (
                "Your organisation and staff see it now; everyone will once staff publish it."
            )
            flash(f"Your question is sent. {told}", "success")
            return redirect(url_for("forum.questions", meeting_id=meeting.id), code=303)
    return _page(meeting, form, 422)


def _after_change(meeting: Meeting, message: str, status: int = 200):
    if wants_fragment():
        return _list(meeting, status, message if status != 200 else None)
    if status != 200:
        return _page(meeting, QuestionForm(formdata=None), status, message)
    flash(message, "success")
    return redirect(url_for("forum.questions", meeting_id=meeting.id), code=303)


@bp.post("/forum/meetings/<int:meeting_id>/questions/<int:question_id>/vote")
@login_required
def vote_question(meeting_id: int, question_id: int):
    meeting = get_meeting(meeting_id)
    question = _question(meeting, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            now_voted = question_service.toggle_vote(question, current_user)
    except question_service.QuestionError as exc:
        return _after_change(meeting, str(exc), 422)
    except ConflictError:
        return _after_change(meeting, "Your vote crossed with another of yours; the list shows where it stands.", 409)
    return _after_change(meeting, "Upvoted." if now_voted else "Upvote taken back.")


def _staff_change(meeting_id: int, question_id: int, change, done: str):
    meeting = get_meeting(meeting_id)
    question = _question(meeting, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        with unit_of_work():
            change(question, expected_version=version_number(request.form.get("version")))
    except question_service.QuestionError as exc:
        return _after_change(meeting, str(exc), 422)
    except ConflictError:
        return _after_change(meeting, "Another member of staff changed this question first; the list shows it now.", 409)
    return _after_change(meeting, done)


@bp.post("/forum/meetings/<int:meeting_id>/questions/<int:question_id>/publish")
@staff_required
def publish_question(meeting_id: int, question_id: int):
    return _staff_change(meeting_id, question_id, question_service.publish, "Question published to the forum.")


@bp.post("/forum/meetings/<int:meeting_id>/questions/<int:question_id>/remove")
@staff_required
def remove_question(meeting_id: int, question_id: int):
    return _staff_change(meeting_id, question_id, question_service.remove, "Question removed.")


@bp.route("/forum/meetings/<int:meeting_id>/questions/<int:question_id>/answer", methods=["GET", "POST"])
@staff_required
def answer_question(meeting_id: int, question_id: int):
    meeting = get_meeting(meeting_id)
    question = _question(meeting, question_id)
    form = AnswerForm(data={"answer": question.answer, "version": question.version} if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            with unit_of_work():
                question_service.answer(
                    question, current_user, form.answer.data, expected_version=version_number(form.version.data)
                )
        except question_service.QuestionError as exc:
            form.answer.errors = [str(exc)]
        except ConflictError as exc:
            db.session.rollback()
            question = _question(meeting, question_id)
            form.form_errors.append(f"{exc} Your answer is kept below: compare it with the question now, then save again.")
            form.version.data = str(question.version)
            status = 409
        else:
            flash("Answer saved: it shows under the question and in the meeting's minutes.", "success")
            return redirect(url_for("forum.questions", meeting_id=meeting.id, _anchor=f"question-{question.id}"), code=303)
    if request.method == "POST" and status == 200:
        status = 422
    return render_template(
        "forum/answer_question.html",
        meeting=meeting,
        question=question,
        asked_by=question_service.asked_by(question, current_user),
        form=form,
    ), status
