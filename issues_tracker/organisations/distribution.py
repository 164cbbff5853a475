"""Distribution by the contact register: forum meeting invitations (with the meeting as an
iCalendar file whose UID stays the same and whose SEQUENCE rises, so an update or a
cancellation changes the one calendar entry in place), the published Monday log, and
major-incident emails. Each goes to the register's contacts with the matching role, skips
addresses that unsubscribed from it and accounts that are deactivated, and carries a
one-click unsubscribe link (no sign-in) for that kind of email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText
from itsdangerous import BadSignature, URLSafeSerializer

from ..accounts.models import User
from ..core import choices
from ..core.extensions import db
from ..core.models import utcnow
from ..core.urls import external_url
from ..forum.calendar import _london_timezone, meeting_uid
from ..forum.models import Meeting
from ..forum.operations import meeting_times
from ..notifications.outgoing import Attachment, queue_email
from .models import Contact, ContactOptOut, MeetingInvitation

SALT = "contact-unsubscribe"


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str


def recipients(role: str) -> list[Recipient]:
    """Every address in the register with this role, once, less those that unsubscribed from it
    and those whose account is deactivated or closed."""
    assert role in choices.DISTRIBUTION_ROLES
    inactive = sa.select(User.id).where(sa.or_(User.active.is_(False), User.closed_at.is_not(None)))
    stopped_accounts = sa.select(sa.func.lower(User.email)).where(sa.or_(User.active.is_(False), User.closed_at.is_not(None)))
    opted_out = sa.select(ContactOptOut.email).where(ContactOptOut.role == role)
    rows = db.session.execute(
        sa.select(Contact.email, Contact.name)
        .where(
            getattr(Contact, role).is_(True),
            sa.or_(Contact.user_id.is_(None), Contact.user_id.not_in(inactive)),
            Contact.email.not_in(stopped_accounts),
            Contact.email.not_in(opted_out),
        )
        .order_by(Contact.email, Contact.id)
    ).all()
    seen: dict[str, Recipient] = {}
    for email, name in rows:
        seen.setdefault(email, Recipient(email, name))
    return list(seen.values())


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_url(email: str, role: str) -> str:
    return external_url("organisations.unsubscribe", token=_serializer().dumps([email, role]))


def read_unsubscribe(token: str) -> tuple[str, str] | None:
    if not token or len(token) > 500:
        return None
    try:
        email, role = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(email, str) or role not in choices.DISTRIBUTION_ROLES:
        return None
    return email, role


def unsubscribe(email: str, role: str) -> bool:
    """Stop this kind of email to this address; False if it had stopped already."""
    if db.session.scalar(sa.select(ContactOptOut.id).where(ContactOptOut.email == email, ContactOptOut.role == role)):
        return False
    db.session.add(ContactOptOut(email=email, role=role))
    db.session.flush()
    return True


def resubscribe(email: str, role: str) -> None:
    db.session.execute(sa.delete(ContactOptOut).where(ContactOptOut.email == email, ContactOptOut.role == role))


# ---------------------------------------------------------------- forum meeting invitations


def invitation_state(meeting: Meeting) -> MeetingInvitation | None:
    return db.session.get(MeetingInvitation, meeting.id)


def meeting_calendar(meeting: Meeting, *, sequence: int, cancelled: bool, attendee: Recipient, now: datetime) -> bytes:
    """The meeting as an iTIP request (or cancellation) for one attendee (RFC 5546)."""
    organiser_name, organiser_email = parseaddr(current_app.config["MAIL_FROM"])
    start, end = meeting_times(meeting)
    calendar = Calendar()
    calendar.add("prodid", "-//Industry Issues Tracker//Service Management Forum//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    calendar.add_component(_london_timezone())
    link = external_url("forum.meeting", meeting_id=meeting.id)
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", sequence)
    event.add("dtstamp", now.replace(microsecond=0))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", meeting.title)
    event.add("description", f"Agenda, papers, polls and actions (sign-in needed): {link}")
    event.add("url", link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organiser = vCalAddress(f"mailto:{organiser_email or 'noreply@localhost'}")
    organiser.params["cn"] = vText(organiser_name or "Service Management Forum")
    event.add("organizer", organiser)
    guest = vCalAddress(f"mailto:{attendee.email}")
    if attendee.name:
        guest.params["cn"] = vText(attendee.name)
    guest.params["role"] = vText("REQ-PARTICIPANT")
    guest.params["rsvp"] = vText("FALSE")
    event.add("attendee", guest)
    calendar.add_component(event)
    return calendar.to_ical()


def send_meeting_invitations(meeting: Meeting, *, cancelled: bool = False, now: datetime | None = None) -> int:
    """Invite the register's forum invitees (first time), or send them the update or cancellation.

    The first invitation has SEQUENCE 0; each later one (an update, a cancellation) one more,
    with the same UID. A cancellation also reaches everyone invited before. Returns how many
    emails were queued."""
    now = now or utcnow()
    state = invitation_state(meeting)
    if state is None:
        state = MeetingInvitation(meeting_id=meeting.id, sequence=0, recipients="")
        db.session.add(state)
    elif state.sent_at is not None:
        state.sequence += 1
    people = {person.email: person for person in recipients("forum_invitee")}
    if cancelled:
        stopped = {
            email
            for (email,) in db.session.execute(sa.select(ContactOptOut.email).where(ContactOptOut.role == "forum_invitee")).all()
        }
        for email in filter(None, state.recipients.split("\n")):
            if email not in stopped:
                people.setdefault(email, Recipient(email, ""))
    start, _ = meeting_times(meeting)
    when = f"{start.strftime('%A %d %B %Y, %H:%M')} (UK time)"
    verb = "Cancelled" if cancelled else ("Updated" if state.sent_at and state.sequence else "Invitation")
    subject = f"{verb}: {meeting.title}, {start.strftime('%d %b %Y')}"
    for person in people.values():
        ics = meeting_calendar(meeting, sequence=state.sequence, cancelled=cancelled, attendee=person, now=now)
        method = "CANCEL" if cancelled else "REQUEST"
        queue_email(
            person.email,
            subject,
            "organisations/email/meeting_invitation",
            kind="meeting_invitation",
            name=person.name,
            now=now,
            meeting=meeting,
            when=when,
            cancelled=cancelled,
            updated=verb == "Updated",
            link=external_url("forum.meeting", meeting_id=meeting.id),
            unsubscribe=unsubscribe_url(person.email, "forum_invitee"),
            attachments=(Attachment("invite.ics", ics, "text", "calendar", {"method": method}),),
        )
    state.sent_at = now
    state.cancelled_at = now if cancelled else None
    if not cancelled:
        known = set(filter(None, state.recipients.split("\n")))
        state.recipients = "\n".join(sorted(known | set(people)))
    db.session.flush()
    return len(people)


def update_sent_invitations(meeting: Meeting, *, now: datetime | None = None) -> int:
    """After a change to a meeting whose invitations went out: send the update (0 if none went out)."""
    state = invitation_state(meeting)
    if state is None or state.sent_at is None or state.cancelled_at is not None:
        return 0
    return send_meeting_invitations(meeting, now=now)


# ---------------------------------------------------------------- the Monday log, major incidents


def send_log(log, title: str, *, now: datetime | None = None) -> int:
    """The published log, attached as its PDF, to every Monday-log recipient of the register."""
    now = now or utcnow()
    people = recipients("log_recipient")
    filename = f"industry-issues-log-{log.week_commencing.isoformat()}.pdf"
    for person in people:
        queue_email(
            person.email,
            title,
            "organisations/email/log",
            kind="log_distribution",
            name=person.name,
            now=now,
            title=title,
            link=external_url("log.week_pdf", week=log.week_commencing.isoformat()),
            unsubscribe=unsubscribe_url(person.email, "log_recipient"),
            attachments=(Attachment(filename, log.pdf, "application", "pdf"),),
        )
    return len(people)


def send_major_incident(subject: str, body: str, link: str, *, now: datetime | None = None) -> int:
    """A major-incident email to every major-incident contact of the register (besides the
    followers the notifications part tells)."""
    people = recipients("major_incident_contact")
    for person in people:
        queue_email(
            person.email,
            subject,
            "organisations/email/major_incident",
            kind="major_incident",
            name=person.name,
            now=now,
            body=body,
            link=link,
            unsubscribe=unsubscribe_url(person.email, "major_incident_contact"),
        )
    return len(people)
