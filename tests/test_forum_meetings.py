"""Forum meetings: the list, a meeting's page, staff editing, and the calendar feed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import sqlalchemy as sa
from forum_builders import make_action, make_meeting, make_poll

from issues_tracker.core.extensions import db
from issues_tracker.forum import operations as forum_service
from issues_tracker.models import AgendaItem, Meeting


def today() -> date:
    return forum_service.london_today()


def test_forum_lists_upcoming_meetings_soonest_first_and_past_ones_latest_first(browser, participant):
    make_meeting(today() - timedelta(days=60), title="Two months ago")
    make_meeting(today() - timedelta(days=30), title="Last month")
    make_meeting(today() + timedelta(days=30), title="Next month")
    make_meeting(today() + timedelta(days=2), title="This week")
    browser.login(participant)

    page = browser.get("/forum").get_data(as_text=True)

    upcoming, past = page.split('id="upcoming-h"')[1].split('id="past-h"')
    assert upcoming.index("This week") < upcoming.index("Next month")
    assert "Last month" not in upcoming
    assert past.index("Last month") < past.index("Two months ago")
    assert "This week" not in past


def test_forum_links_each_poll_a_participant_may_see(browser, participant):
    meeting = make_meeting(today() + timedelta(days=3))
    open_poll = make_poll(meeting=meeting, title="Feedback – open")
    make_poll(meeting=meeting, state="draft", title="Feedback – draft")
    browser.login(participant)
    page = browser.get("/forum").get_data(as_text=True)
    assert f'<a href="/polls/{open_poll.id}">Feedback – open</a>' in page
    assert "Feedback – draft" not in page


def test_seeded_2026_dates_are_listed(browser, participant, seeded_database):
    browser.login(participant)
    page = browser.get("/forum").get_data(as_text=True)
    for day in ("Tue 13 Jan 2026", "Tue 14 Apr 2026", "Tue 12 May 2026", "Tue 8 Dec 2026"):
        assert day in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 12


def test_meeting_page_shows_agenda_polls_and_actions_raised_there(browser, participant, staff):
    meeting = make_meeting(
        date(2026, 4, 14),
        title="Service Management Forum – April",
        agenda=[(1, "Meeting Purpose & Ways of Working", "Gary Leach"), (5, "Reporting and KPIs", "Sam Young")],
        minutes="Discussed the aged cases extract.",
        recording_url="https://teams.example/recording/april",
    )
    poll = make_poll(meeting=meeting, title="April feedback")
    action = make_action(staff, meeting=meeting, description="Share the CI backlog at the May forum")
    make_action(staff, description="Raised at another meeting")
    browser.login(participant)

    page = browser.get(f"/forum/meetings/{meeting.id}").get_data(as_text=True)

    assert "Tue 14 Apr 2026</time>, 10:00–12:00 (UK time)" in page
    assert re.search(r'<td data-label="No.">01</td><td data-label="Topic">Meeting Purpose &amp; Ways of Working</td><td data-label="Presenter">Gary Leach</td>', page)
    assert re.search(r'<td data-label="No.">05</td><td data-label="Topic">Reporting and KPIs</td><td data-label="Presenter">Sam Young</td>', page)
    assert f'href="/polls/{poll.id}"' in page
    assert f'href="/actions/{action.number}">{action.code}</a>' in page
    assert "Share the CI backlog" in page and "Raised at another meeting" not in page
    assert "Discussed the aged cases extract." in page
    assert 'href="https://teams.example/recording/april"' in page
    assert "Edit meeting" not in page  # participants read; staff edit


def test_unknown_meeting_is_404(browser, participant):
    browser.login(participant)
    assert browser.get("/forum/meetings/9999").status_code == 404


def test_staff_add_a_meeting_with_its_agenda(browser, staff):
    browser.login(staff)
    form_page = browser.get("/forum/meetings/new").get_data(as_text=True)
    assert 'name="agenda-0-topic"' in form_page

    response = browser.post("/forum/meetings/new", {
        "meeting_date": "2027-01-12",
        "title": "Service Management Forum – January 2027",
        "chair": "Gary Leach",
        "start_time": "10:00",
        "end_time": "11:30",
        "agenda-0-number": "1", "agenda-0-topic": "Meeting Purpose", "agenda-0-presenter": "Gary Leach",
        "agenda-1-number": "", "agenda-1-topic": "Escalation Routes", "agenda-1-presenter": "Ian Giles",
        "agenda-2-number": "", "agenda-2-topic": "", "agenda-2-presenter": "",
    })

    assert response.status_code == 303
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.meeting_date == date(2027, 1, 12)))
    assert response.headers["Location"].endswith(f"/forum/meetings/{meeting.id}")
    assert (meeting.start_time, meeting.end_time) == ("10:00", "11:30")
    assert [(i.number, i.topic, i.presenter) for i in meeting.agenda_items] == [
        (1, "Meeting Purpose", "Gary Leach"), (2, "Escalation Routes", "Ian Giles")
    ]


def test_staff_edit_a_meeting_recording_minutes_and_agenda(browser, staff):
    meeting = make_meeting(date(2026, 5, 12), agenda=[(1, "Purpose", "Gary Leach"), (2, "Old topic", "Someone")])
    browser.login(staff)
    page = browser.get(f"/forum/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert 'value="Old topic"' in page

    response = browser.post(f"/forum/meetings/{meeting.id}/edit", {
        "meeting_date": "2026-05-12", "title": "Service Management Forum – May", "chair": "Gary Leach",
        "start_time": "10:00", "end_time": "12:00",
        "recording_url": "https://teams.example/recording/may",
        "minutes": "Actions SMF-13 and SMF-14 reviewed.",
        "agenda-0-number": "1", "agenda-0-topic": "Purpose", "agenda-0-presenter": "Gary Leach",
        "agenda-1-number": "2", "agenda-1-topic": "", "agenda-1-presenter": "",
        "agenda-2-number": "", "agenda-2-topic": "Continuous Improvement", "agenda-2-presenter": "Joe Andrews",
    })

    assert response.status_code == 303
    db.session.expire_all()
    assert meeting.title == "Service Management Forum – May"
    assert meeting.recording_url == "https://teams.example/recording/may"
    assert meeting.minutes == "Actions SMF-13 and SMF-14 reviewed."
    assert [(i.number, i.topic) for i in meeting.agenda_items] == [(1, "Purpose"), (2, "Continuous Improvement")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AgendaItem)) == 2


def test_add_another_agenda_item_shows_a_new_row_without_saving(browser, staff):
    browser.login(staff)
    response = browser.post("/forum/meetings/new", {
        "meeting_date": "2027-02-09", "title": "Forum", "start_time": "10:00", "end_time": "12:00",
        "agenda-0-topic": "Purpose", "add_agenda_item": "Add another agenda item",
    })
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="agenda-1-topic"' in page and 'value="Purpose"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def valid_meeting(**changes) -> dict:
    data = {"meeting_date": "2027-03-09", "title": "Forum", "start_time": "10:00", "end_time": "12:00"}
    data.update(changes)
    return data


def test_meeting_form_explains_bad_input_and_saves_nothing(browser, staff):
    make_meeting(date(2027, 3, 9))
    browser.login(staff)
    cases = [
        (valid_meeting(), "There is already a forum meeting on that date."),
        (valid_meeting(meeting_date="2027-03-10", end_time="09:00"), "The meeting must end after it starts."),
        (valid_meeting(meeting_date="2027-03-10", recording_url="javascript:alert(1)"), "Enter a full web address"),
        (valid_meeting(meeting_date="2027-03-10", start_time="ten"), "Not a valid time value"),
        (valid_meeting(meeting_date="2027-13-45"), "Not a valid date value"),
        (valid_meeting(meeting_date="2027-03-10", title=""), "Give the meeting a title."),
        (valid_meeting(meeting_date="2027-03-10", **{"agenda-0-presenter": "Ian Giles"}), "Give the topic"),
        (valid_meeting(meeting_date="2027-03-10", **{"agenda-0-number": "1", "agenda-0-topic": "A",
                                                      "agenda-1-number": "1", "agenda-1-topic": "B"}),
         "Agenda numbers must differ"),
    ]
    for data, message in cases:
        response = browser.post("/forum/meetings/new", data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 1


def test_participant_cannot_add_or_edit_meetings(browser, participant):
    meeting = make_meeting(date(2026, 6, 9))
    browser.login(participant)
    assert browser.get("/forum/meetings/new").status_code == 403
    assert browser.post("/forum/meetings/new", valid_meeting()).status_code == 403
    assert browser.post(f"/forum/meetings/{meeting.id}/edit", valid_meeting(title="Hijacked")).status_code == 403
    db.session.expire_all()
    assert meeting.title == "Service Management Forum"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 1


# ---------------------------------------------------------------- calendar feed


def read_feed(client) -> icalendar.Calendar:
    response = client.get("/forum/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(response.data)


def test_calendar_feed_is_public_and_lists_every_meeting_in_uk_time(client, seeded_database):
    calendar = read_feed(client)  # no sign-in: calendar clients cannot sign in
    events = calendar.walk("VEVENT")
    assert len(events) == 12
    april = next(e for e in events if e.decoded("dtstart").date() == date(2026, 4, 14))
    assert str(april["summary"]) == "Service Management Forum – April"
    assert april["dtstart"].params["TZID"] == "Europe/London"
    # 10:00 in London is 09:00 UTC in April (BST) and 10:00 UTC in December (GMT).
    assert april.decoded("dtstart").astimezone(UTC) == datetime(2026, 4, 14, 9, 0, tzinfo=UTC)
    december = next(e for e in events if e.decoded("dtstart").date() == date(2026, 12, 8))
    assert december.decoded("dtstart").astimezone(UTC) == datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    assert len({str(e["uid"]) for e in events}) == 12


def test_calendar_feed_carries_its_own_europe_london_timezone(client):
    make_meeting(date(2026, 4, 14))
    calendar = read_feed(client)
    [timezone] = calendar.walk("VTIMEZONE")
    assert str(timezone["tzid"]) == "Europe/London"
    tz = timezone.to_tz()
    assert datetime(2026, 4, 14, 10, 0, tzinfo=tz).utcoffset() == timedelta(hours=1)
    assert datetime(2026, 12, 8, 10, 0, tzinfo=tz).utcoffset() == timedelta(0)
    assert datetime(2027, 3, 29, 10, 0, tzinfo=tz).utcoffset() == timedelta(hours=1)  # rules, not a fixed list


def test_calendar_event_keeps_its_uid_when_the_meeting_moves(client):
    meeting = make_meeting(date(2026, 9, 8))
    [before] = read_feed(client).walk("VEVENT")
    forum_service.save_meeting(meeting, {
        "meeting_date": date(2026, 9, 15), "title": meeting.title, "chair": meeting.chair, "start_time": "14:00",
        "end_time": "15:30", "recording_url": "", "minutes": "",
    }, [])
    db.session.commit()
    [after] = read_feed(client).walk("VEVENT")
    assert str(after["uid"]) == str(before["uid"])
    assert after.decoded("dtstart").replace(tzinfo=None) == datetime(2026, 9, 15, 14, 0)


def test_calendar_feed_has_dates_and_titles_only(client, staff):
    meeting = make_meeting(date(2026, 10, 13), minutes="Confidential: supplier X failed its tests.",
                           agenda=[(1, "Private agenda topic", "Ian Giles")],
                           recording_url="https://teams.example/secret-recording")
    make_poll(meeting=meeting, title="Secret poll")
    body = client.get("/forum/calendar.ics").get_data(as_text=True)
    for private in ("Confidential", "Private agenda topic", "Ian Giles", "secret-recording", "Secret poll", "Gary Leach"):
        assert private not in body
    assert f"/forum/meetings/{meeting.id}" in body.replace("\r\n ", "")
