"""Forms for building polls and for answering them."""

from __future__ import annotations

import re

from flask import request
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, StopValidation, ValidationError

from ..core import choices
from ..core.fields import RowList, SensibleDate
from ..core.forms import STRIP, AppForm, AppSubform, without_control_characters
from .models import Poll, PollQuestion
from .operations import (
    MAX_QUESTIONS,
    AnswerError,
    QuestionError,
    QuestionSpec,
    answer_choices,
    check_question,
    clean_answer,
    foreign_questions_message,
    split_lines,
)

QUESTION_KEY = re.compile(r"^q([0-9]{1,12})$")


class QuestionForm(AppSubform):
    """One question of the poll; a row left without question text is dropped."""

    text = TextAreaField("Question", filters=STRIP, validators=[Optional(), Length(max=1_000)])
    kind = SelectField("Type", choices=choices.POLL_QUESTION_KINDS, default="choice")
    required = BooleanField("An answer is required", default=True)
    options = TextAreaField(
        "Options", filters=STRIP, validators=[Optional(), Length(max=5_000)],
        description="Single choice: one option per line (e.g. Yes, Partially, No). "
        "Rating 1–5: leave blank for the standard labels, or write labels such as “3 = Meets Expectations”, "
        "one per line. Free text: leave blank.",
    )

    def spec(self) -> QuestionSpec:
        return QuestionSpec(self.text.data or "", self.kind.data, bool(self.required.data), split_lines(self.options.data))


class PollForm(AppForm):
    title = StringField(
        "Title", filters=STRIP, validators=[DataRequired("Give the poll a title."), Length(max=200)],
        description="e.g. “Service Management Forum feedback – May 2026”.",
    )
    intro = TextAreaField(
        "Introduction", filters=STRIP, validators=[Optional(), Length(max=5_000)],
        description="Shown above the questions: why you are asking.",
    )
    meeting_id = SelectField("Meeting", coerce=int, default=0)
    closes_at = DateTimeLocalField(
        "Closes at (UK time)", format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], validators=[Optional(), SensibleDate()],
        description="Optional: the poll stops taking responses at this time. Leave blank to close it by hand.",
    )
    use_standard = BooleanField(
        "Use the standard feedback questions",
        description="Adds the forum's four feedback questions (meeting your needs? changes wanted; "
        "insight and value; how to improve) before any questions below.",
    )
    questions = RowList(FormField(QuestionForm), "Questions", min_entries=0, max_entries=MAX_QUESTIONS)
    add_question = SubmitField("Add another question")
    version = HiddenField()
    submit = SubmitField("Save poll")

    # Set by the view: a poll's questions can change only while it is a draft, and the
    # standard questions are offered when a poll is created.
    questions_editable = True
    offer_standard = True

    def question_specs(self) -> list[QuestionSpec]:
        return [row.form.spec() for row in self.questions if row.form.text.data]

    def validate_questions(self, field):
        if not self.questions_editable:
            return
        failed = False
        for row in field:
            if not row.form.text.data:
                continue
            if row.form.errors:  # e.g. a type that is not offered: already reported
                failed = True
                continue
            try:
                check_question(row.form.spec())
            except QuestionError as exc:
                getattr(row.form, exc.field).errors.append(str(exc))
                failed = True
        if failed:
            raise ValidationError("Some questions need correcting; see the messages next to them.")
        if not self.question_specs() and not (self.offer_standard and self.use_standard.data):
            raise ValidationError("Add at least one question, or tick “Use the standard feedback questions”.")


class AnswerCheck:
    """Runs the poll's own rule for a valid answer, so the form and the service agree."""

    def __init__(self, question: PollQuestion):
        self.question = question
        self.field_flags = {"required": True} if question.required else {}

    def __call__(self, form, field):
        # The raw value skips the form's filters, so the control-character rule is applied here.
        raw = without_control_characters(field.raw_data[0]) if field.raw_data else None
        try:
            field.data = clean_answer(self.question, raw)
        except AnswerError as exc:
            raise StopValidation(str(exc)) from None


class PollResponseForm(AppForm):
    """A respondent's answers: one field per question, named q<question id>."""

    submit = SubmitField("Send response")
    question_ids: list[int] = []

    def submitted_question_ids(self) -> set[int]:
        if not self.is_submitted():
            return set()
        return {int(match.group(1)) for key in request.form if (match := QUESTION_KEY.match(key))}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        foreign = self.submitted_question_ids() - set(self.question_ids)
        if foreign:
            self.form_errors.append(foreign_questions_message(foreign))
            valid = False
        return valid

    def answers(self) -> dict[int, str | None]:
        return {qid: self[f"q{qid}"].data for qid in self.question_ids}

    def question_fields(self):
        return [(question_id, self[f"q{question_id}"]) for question_id in self.question_ids]


def response_form(poll: Poll, previous: dict[int, str] | None = None) -> PollResponseForm:
    """The form for this poll's questions, pre-filled with the respondent's earlier answers."""

    class ResponseForm(PollResponseForm):
        pass

    for question in poll.questions:
        check = AnswerCheck(question)
        if question.kind == "text":
            field = TextAreaField(question.text, validators=[check])
        else:
            field = RadioField(question.text, choices=answer_choices(question), validate_choice=False, validators=[check])
        setattr(ResponseForm, f"q{question.id}", field)
    ResponseForm.question_ids = [question.id for question in poll.questions]
    return ResponseForm(data={f"q{qid}": value for qid, value in (previous or {}).items()})
