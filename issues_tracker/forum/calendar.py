"""The forum dates as an iCalendar feed that Outlook and Teams can subscribe to.

Calendar clients cannot sign in, so the feed is public and carries only what a
diary needs: date, start and end time, title and a link to the meeting page
(which does need sign-in). No minutes, agenda, names or polls.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from ..core.models import utcnow
from ..core.text import clean_text
from ..core.urls import external_url
from .models import Meeting
from .operations import meeting_times

# Stays the same for a meeting whatever is edited, so subscribers see a moved meeting move.
UID_DOMAIN = "service-forum.issues-tracker"
CALENDAR_NAME = "Service Management Forum"
REFRESH = timedelta(hours=12)


def meeting_uid(meeting: Meeting) -> str:
    return f"smf-meeting-{meeting.id}@{UID_DOMAIN}"


def _london_timezone() -> Timezone:
    """Europe/London as Outlook itself writes it: BST from the last Sunday of March, GMT from October's."""
    timezone = Timezone()
    timezone.add("tzid", "Europe/London")
    summer = TimezoneDaylight()
    summer.add("tzname", "BST")
    summer.add("dtstart", datetime(1970, 3, 29, 1, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    summer.add("tzoffsetfrom", timedelta(0))
    summer.add("tzoffsetto", timedelta(hours=1))
    winter = TimezoneStandard()
    winter.add("tzname", "GMT")
    winter.add("dtstart", datetime(1970, 10, 25, 2, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    winter.add("tzoffsetfrom", timedelta(hours=1))
    winter.add("tzoffsetto", timedelta(0))
    timezone.add_component(summer)
    timezone.add_component(winter)
    return timezone


def calendar_feed(meetings: list[Meeting]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Industry Issues Tracker//Service Management Forum//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    calendar.add("x-wr-timezone", "Europe/London")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT12H")
    calendar.add_component(_london_timezone())
    stamp = utcnow().replace(microsecond=0)
    for meeting in meetings:
        start, end = meeting_times(meeting)
        link = external_url("forum.meeting", meeting_id=meeting.id)
        event = Event()
        event.add("uid", meeting_uid(meeting))
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", clean_text(meeting.title, single_line=True))
        event.add("description", f"Agenda, papers, polls and actions (sign-in needed): {link}")
        event.add("url", link)
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()
