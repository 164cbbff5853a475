"""The forum and the Monday log brought up to the day the seed runs (see current.py).

- Every meeting from the pack's (April 2026) to this month's and the next has an agenda:
  the pack's eight items, with its presenters; a meeting month with none in the 2026
  calendar gets one on its second Tuesday.
- Each meeting after April that has been held has its feedback poll (the pack's four
  questions) closed with members' responses; this month's meeting has its poll open.
  The April poll is the pack's own and stays as the pack seed leaves it (open).
- The Monday issues logs of the two weeks before this one are published, each as at its
  own Monday morning, so this week's figures show their change on last week.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..accounts.operations import get_or_create_organisation
from ..core.extensions import db
from ..core.formats import LONDON
from ..forum.models import AgendaItem, Meeting
from ..polls.models import Poll, PollAnswer, PollQuestion, PollResponse
from ..polls.operations import STANDARD_FEEDBACK_INTRO, STANDARD_FEEDBACK_QUESTIONS

PACK_MEETING = date(2026, 4, 14)
CHAIR = "Jack Freestone"
# Forum members who answer the feedback polls (accounts with no password: they sign in through their organisations).
MEMBERS = [
    ("alex.morgan@northern-supply.example", "Alex Morgan", "Northern Supply Co", "supplier"),
    ("priya.shah@northern-supply.example", "Priya Shah", "Northern Supply Co", "supplier"),
    ("tom.evans@eastern-networks.example", "Tom Evans", "Eastern Networks", "distributor"),
    ("grace.okafor@eastern-networks.example", "Grace Okafor", "Eastern Networks", "distributor"),
    ("lewis.reid@brightmeter.example", "Lewis Reid", "BrightMeter Data Services", "supplier"),
    ("hannah.price@westgrid.example", "Hannah Price", "WestGrid Distribution", "distributor"),
    ("owen.hughes@volt-energy.example", "Owen Hughes", "Volt Energy", "supplier"),
    ("mia.clarke@volt-energy.example", "Mia Clarke", "Volt Energy", "supplier"),
]
CHANGES_WANTED = [
    "Show which open cases are waiting on us, so we can chase them internally.",
    "More detail on aged incidents linked to our cases, please.",
    "Send the issues log a day earlier so we can brief before the forum.",
    "Keep the major-incident timeline on one slide.",
    "",
]
MORE_VALUABLE = [
    "Good to see service levels month by month; keep the trend charts.",
    "Shorter KPI section and more time for questions.",
    "Publish the pack a few days before the meeting.",
    "Invite the DIP Manager when there has been a release.",
    "",
]


def second_tuesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7 + 7)


def _month_after(day: date) -> tuple[int, int]:
    return (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)


def seed_meetings_and_polls(today: date, now: datetime) -> dict[str, int]:
    pack = db.session.scalar(sa.select(Meeting).where(Meeting.meeting_date == PACK_MEETING))
    if pack is None:
        return {"meetings": 0, "polls": 0}
    agenda = [(item.number, item.topic, item.presenter) for item in pack.agenda_items]
    added = _ensure_meetings(today)
    meetings = db.session.scalars(
        sa.select(Meeting).where(Meeting.meeting_date > PACK_MEETING).order_by(Meeting.meeting_date)).all()
    polls = 0
    last = _month_after(today)
    for meeting in meetings:
        if (meeting.meeting_date.year, meeting.meeting_date.month) > last:
            break
        if not meeting.agenda_items:
            meeting.agenda_items = [AgendaItem(number=n, topic=t, presenter=p) for n, t, p in agenda]
        this_month = (meeting.meeting_date.year, meeting.meeting_date.month) == (today.year, today.month)
        if meeting.meeting_date < today and not this_month:
            polls += _seed_poll(meeting, now, closed=True)
        elif this_month:
            polls += _seed_poll(meeting, now, closed=False)
    db.session.flush()
    return {"meetings": added, "polls": polls}


def _ensure_meetings(today: date) -> int:
    """A meeting in every month from the pack's to the next one, on the second Tuesday when the calendar has none."""
    have = {(d.year, d.month) for d in db.session.scalars(sa.select(Meeting.meeting_date))}
    added = 0
    year, month = PACK_MEETING.year, PACK_MEETING.month
    while (year, month) <= _month_after(today):
        if (year, month) not in have:
            day = second_tuesday(year, month)
            db.session.add(Meeting(meeting_date=day, title=f"Service Management Forum – {day:%B %Y}", chair=CHAIR))
            added += 1
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    db.session.flush()
    return added


def _members() -> list[User]:
    users = []
    for email, name, org_name, kind in MEMBERS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            user = User(email=email, name=name, role="participant", organisation=get_or_create_organisation(org_name, kind=kind))
            user.set_unusable_password()
            db.session.add(user)
        users.append(user)
    db.session.flush()
    return users


def _seed_poll(meeting: Meeting, now: datetime, *, closed: bool) -> int:
    key = f"smf-feedback-{meeting.meeting_date:%Y-%m}"
    if db.session.scalar(sa.select(Poll.id).where(Poll.seed_key == key)):
        return 0
    poll = Poll(seed_key=key, meeting_id=meeting.id, title=f"Service Management Forum feedback – {meeting.meeting_date:%B %Y}",
                intro=STANDARD_FEEDBACK_INTRO, state="closed" if closed else "open",
                created_at=datetime.combine(meeting.meeting_date - timedelta(days=7), time(9, 0), tzinfo=LONDON).astimezone(UTC))
    poll.questions = [
        PollQuestion(position=i + 1, text=q.text, kind=q.kind, required=q.required, options="\n".join(q.options))
        for i, q in enumerate(STANDARD_FEEDBACK_QUESTIONS)
    ]
    if closed:
        poll.closes_at = datetime.combine(meeting.meeting_date, time(12, 0), tzinfo=LONDON).astimezone(UTC)
    db.session.add(poll)
    db.session.flush()
    if closed:
        _responses(poll, meeting)
    return 1


def _responses(poll: Poll, meeting: Meeting) -> None:
    """Five to eight members answer, more of them content as the months go on."""
    rng = random.Random(f"smf-feedback-{meeting.meeting_date:%Y-%m}")
    months = (meeting.meeting_date.year - 2026) * 12 + meeting.meeting_date.month - 4
    content = min(0.8, 0.45 + 0.06 * months)
    answered = datetime.combine(meeting.meeting_date, time(11, 50), tzinfo=LONDON).astimezone(UTC)
    questions = poll.questions
    for user in rng.sample(_members(), k=rng.randint(5, 8)):
        first = "Yes" if rng.random() < content else rng.choice(["Partially", "Partially", "No"])
        third = "Yes" if rng.random() < content else "Partially"
        change = rng.choice(CHANGES_WANTED) if first != "Yes" else ""
        better = rng.choice(MORE_VALUABLE)
        response = PollResponse(poll_id=poll.id, user_id=user.id, created_at=answered, updated_at=answered)
        response.answers = [
            PollAnswer(question_id=questions[0].id, choice=first),
            PollAnswer(question_id=questions[2].id, choice=third),
        ] + [PollAnswer(question_id=q.id, text=text) for q, text in ((questions[1], change), (questions[3], better)) if text]
        db.session.add(response)
    db.session.flush()


def seed_logs(today: date, now: datetime) -> int:
    """Publish the logs of the two weeks before this one, each on its Monday morning, unless a later week is out."""
    from ..log.models import PublishedLog
    from ..log.operations import publish_log

    monday = today - timedelta(days=today.weekday())
    latest = db.session.scalar(sa.select(sa.func.max(PublishedLog.week_commencing)))
    published = 0
    for weeks_back in (2, 1):
        week = monday - timedelta(weeks=weeks_back)
        if latest is not None and latest >= week:
            continue
        moment = datetime.combine(week, time(8, 0), tzinfo=LONDON).astimezone(UTC)
        if publish_log(week, now=min(moment, now)).created:
            published += 1
    return published
