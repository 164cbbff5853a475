"""The Monday log as a senior reader opens it: page 1 says how things moved since last
week's log and what needs attention; each breakdown once; no near-empty pages."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.issues import operations as issue_service
from issues_tracker.log import operations as log_service
from issues_tracker.log import weeks as log_weeks
from issues_tracker.models import PublishedLog
from tests.helpers import make_issue
from tests.test_log_pdf import pdf_text, set_times

RUNNING_HEADER = "Industry Issues Report · Week commencing"


def kpi(page: str, label: str) -> str:
    """The headline's text: label, number and change, as pypdf reads the first page."""
    match = re.search(re.escape(label) + r"(?: \(\d+\+ days\))? (\d+) ?(▲ \d+ on last week|▼ \d+ on last week|no change on last week|no earlier log to compare)", page)
    assert match, (label, page[:800])
    return f"{match.group(1)} {match.group(2)}"


def test_the_second_log_shows_week_on_week_changes_against_the_previous_published_log(participant, staff):
    week = log_weeks.current_week()
    last_week = week - timedelta(days=7)
    earlier = utcnow() - timedelta(days=4)
    first_two = [set_times(make_issue(participant, publish_by=staff, summary=f"Early issue {n}"), created_days_ago=10 + n,
                           updated_days_ago=5, now=earlier) for n in range(2)]
    first = log_service.publish_log(last_week, user=staff, now=earlier).log
    db.session.commit()
    _, first_pages = pdf_text(first.pdf)
    assert kpi(first_pages[0], "Open issues") == "2 no earlier log to compare"

    # Since then: three new issues (one of them P1), one of the early ones resolved, an action overdue.
    make_issue(participant, publish_by=staff, summary="New this week, critical", severity=1)
    make_issue(participant, publish_by=staff, summary="New this week A")
    late = make_issue(participant, publish_by=staff, summary="New this week B")
    issue_service.add_action(late, staff, {"description": "Send the fix plan", "owner_name": "Ian Giles",
                                           "due_date": utcnow().date() - timedelta(days=2)})
    db.session.commit()
    set_times(first_two[0], status="Resolved", resolved_days_ago=1)
    db.session.commit()

    second = log_service.publish_log(week, user=staff).log
    db.session.commit()
    reader, pages = pdf_text(second.pdf)
    page_one = pages[0]
    assert kpi(page_one, "Open issues") == "4 ▲ 2 on last week"
    assert kpi(page_one, "P1 and P2 open") == "1 ▲ 1 on last week"
    assert kpi(page_one, "New this week") == "3 ▲ 1 on last week"  # the first log counted its two as new
    assert kpi(page_one, "Resolved this week") == "1 ▲ 1 on last week"
    assert kpi(page_one, "Actions overdue") == "1 ▲ 1 on last week"
    assert "Changes compare with the log for the week commencing" in page_one

    stored = db.session.get(PublishedLog, second.id)
    assert (stored.open_count, stored.high_severity_count, stored.new_count, stored.resolved_count,
            stored.overdue_actions_count) == (4, 1, 3, 1, 1)


def test_fewer_open_issues_show_a_down_arrow(participant, staff):
    week = log_weeks.current_week()
    earlier = utcnow() - timedelta(days=4)
    issues = [set_times(make_issue(participant, publish_by=staff), created_days_ago=20, updated_days_ago=5, now=earlier)
              for _ in range(3)]
    log_service.publish_log(week - timedelta(days=7), now=earlier)
    db.session.commit()
    for issue in issues[:2]:
        set_times(issue, status="Closed", resolved_days_ago=1)
    _, pages = pdf_text(log_service.publish_log(week).log.pdf)
    assert kpi(pages[0], "Open issues") == "1 ▼ 2 on last week"


def test_a_revision_compares_with_last_week_not_with_its_own_week(participant, staff):
    week = log_weeks.current_week()
    earlier = utcnow() - timedelta(days=4)
    set_times(make_issue(participant, publish_by=staff), created_days_ago=20, updated_days_ago=5, now=earlier)
    log_service.publish_log(week - timedelta(days=7), now=earlier)
    db.session.commit()
    log_service.publish_log(week)
    db.session.commit()
    make_issue(participant, publish_by=staff)
    revision = log_service.publish_log(week, revise=True, reason="Added a late issue").log
    db.session.commit()
    _, pages = pdf_text(revision.pdf)
    assert kpi(pages[0], "Open issues") == "2 ▲ 1 on last week"


def test_logs_published_before_the_numbers_were_kept_say_so(participant, staff):
    week = log_weeks.current_week()
    earlier = utcnow() - timedelta(days=4)
    make_issue(participant, publish_by=staff)
    old = log_service.publish_log(week - timedelta(days=7), now=earlier).log
    db.session.commit()
    old.stale_count = None  # as stored by an older version
    db.session.commit()
    _, pages = pdf_text(log_service.publish_log(week).log.pdf)
    assert kpi(pages[0], "Stale") == "0 no earlier log to compare"
    assert kpi(pages[0], "Open issues") == "1 no change on last week"


def test_page_one_lists_what_needs_attention_and_the_commentarys_headlines(participant, staff):
    critical = make_issue(participant, publish_by=staff, summary="Settlement run failing for many suppliers", severity=1)
    idle = set_times(make_issue(participant, publish_by=staff, summary="Nobody has touched this one"),
                     created_days_ago=60, updated_days_ago=33)
    fine = make_issue(participant, publish_by=staff, summary="Moderate and recently updated")
    issue_service.add_action(fine, staff, {"description": "Confirm the schema fix with suppliers", "owner_name": "Ian Giles",
                                           "due_date": utcnow().date() - timedelta(days=4)})
    db.session.commit()
    log_service.save_commentary(log_weeks.current_week(), {
        "trends": "Rejections halved since the fix.\nThe detail: three suppliers still send the old schema.",
        "emerging_risks": "", "decisions_required": "Agree the freeze date.",
    }, staff)
    _, pages = pdf_text(log_service.publish_log(log_weeks.current_week()).log.pdf)
    page_one = pages[0]
    attention = page_one[page_one.index("Needs attention"):]
    severe = attention[attention.index("P1 and P2 issues"):attention.index("Longest without an update")]
    assert critical.reference in severe and "Settlement run failing" in severe and fine.reference not in severe
    longest = attention[attention.index("Longest without an update"):attention.index("Actions overdue")]
    assert longest.index(idle.reference) < longest.index(critical.reference)  # the longest idle first
    assert "33 days ago STALE" in longest
    overdue = attention[attention.index("Actions overdue"):]
    assert "Confirm the schema fix with suppliers — Ian Giles" in overdue
    headlines = page_one[page_one.index("From the commentary"):page_one.index("Breakdown of open issues")]
    assert "Rejections halved since the fix." in headlines
    assert "three suppliers still send the old schema" not in headlines  # only the headline line
    assert "Agree the freeze date." in headlines and "Emerging risks" not in headlines
    text = " ".join(pages)
    assert "three suppliers still send the old schema" in text[text.index("Staff commentary"):]  # in full further on


def test_each_breakdown_appears_once(participant, staff):
    make_issue(participant, publish_by=staff, services=["DIP", "ISD"])
    _, pages = pdf_text(log_service.publish_log(log_weeks.current_week()).log.pdf)
    text = " ".join(pages)
    for title in ("Open issues by service", "Age profile of open issues", "Open issues by current status",
                  "Open issues by severity"):
        assert text.count(title) == 1, title


def test_the_running_header_names_report_and_week_once_and_the_section_on_the_other_side(participant, staff):
    for n in range(30):
        make_issue(participant, publish_by=staff, summary=f"Issue {n}", root_cause="Cause " * 40)
    _, pages = pdf_text(log_service.publish_log(log_weeks.current_week()).log.pdf)
    assert RUNNING_HEADER not in pages[0]  # page 1 carries the title itself
    for page in pages[1:]:
        assert page.count(RUNNING_HEADER) == 1
        assert page.count("Industry Issues Report") == 1
    table_pages = [page for page in pages if "Action underway" in page]
    assert all("Open issues" in page for page in table_pages)


def test_the_seeded_log_has_no_near_empty_pages(app, staff, seeded_database):
    _, pages = pdf_text(log_service.publish_log(log_weeks.current_week()).log.pdf)
    assert 3 <= len(pages) <= 5
    for number, page in enumerate(pages, start=1):
        body = re.sub(r"Published [^·]+ · revision \d+ Page \d+ of \d+", "", page)
        assert len(body) > 700, (number, body)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedLog)) == 1


def test_week_is_named_the_same_way_on_the_page_and_in_the_pdf(browser, participant, staff):
    make_issue(participant, publish_by=staff)
    log = log_service.publish_log(log_weeks.current_week()).log
    db.session.commit()
    from issues_tracker.core.formats import format_week

    label = format_week(log.week_commencing)
    _, pages = pdf_text(log.pdf)
    assert label[0].upper() + label[1:] in pages[0]
    browser.login(participant)
    page = browser.get("/log").get_data(as_text=True)
    assert label in page or label[0].upper() + label[1:] in page
    assert not re.search(r"[Ww]eek commencing 0\d", page)  # no zero-padded variant
    assert "w/c" not in page
