"""The Monday log's content, read back from the PDF as a stakeholder would see it."""

from __future__ import annotations

import io
import re
import shutil
import socket
import subprocess
from datetime import UTC, datetime, time, timedelta

import pytest
from pypdf import PdfReader

from issues_tracker.core.extensions import db
from issues_tracker.core.formats import format_date
from issues_tracker.core.models import utcnow
from issues_tracker.core.pdf import StaticOnlyFetcher, html_to_pdf
from issues_tracker.core.templating import LONDON
from issues_tracker.issues import operations as issue_service
from issues_tracker.log import contents as log_contents
from issues_tracker.log import operations as log_service
from issues_tracker.log import weeks as log_weeks
from issues_tracker.models import IssueAction, PublishedLog
from tests.helpers import make_issue

SECTION_HEADINGS = (
    "Executive summary",
    "Staff commentary",
    "Open issues",
    "Actions due or overdue",
    "Resolved since the previous log",
)


def pdf_text(pdf: bytes) -> tuple[PdfReader, list[str]]:
    """The reader and each page's text, with runs of whitespace (wrapped lines) as one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return reader, [" ".join(page.extract_text().split()) for page in reader.pages]


def outline_titles(reader: PdfReader) -> list[str]:
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    return titles


def publish(**kw) -> PublishedLog:
    outcome = log_service.publish_log(log_weeks.current_week(), **kw)
    db.session.commit()
    assert outcome.created
    return outcome.log


def days_ago(now, days: int):
    """An hour more than `days` days before now, kept within the UK calendar day `days` days before
    today: an issue's age in whole UK days is then `days` at any hour the test runs (midnight
    included), and it is at least `days` days old by the clock."""
    target = now.astimezone(LONDON).date() - timedelta(days=days)
    day_start = datetime.combine(target, time(0), tzinfo=LONDON).astimezone(UTC)
    day_end = datetime.combine(target + timedelta(days=1), time(0), tzinfo=LONDON).astimezone(UTC)
    moment = now - timedelta(days=days, hours=1)
    return min(max(moment, day_start), day_end - timedelta(minutes=1), now)


def set_times(issue, *, created_days_ago=None, updated_days_ago=None, resolved_days_ago=None, status=None, now=None):
    now = now or utcnow()
    if created_days_ago is not None:
        issue.created_at = days_ago(now, created_days_ago)
        issue.published_at = issue.created_at
    if updated_days_ago is not None:
        issue.last_update_at = days_ago(now, updated_days_ago)
    if status is not None:
        issue.status = status
    if resolved_days_ago is not None:
        issue.resolved_at = now - timedelta(days=resolved_days_ago)
    db.session.commit()
    return issue


def test_log_lists_every_open_published_issue_with_sections_pages_and_bookmarks(participant, staff):
    open_issues = [make_issue(participant, publish_by=staff, summary=f"Open industry issue number {n}") for n in range(3)]
    pending = make_issue(participant, summary="Submitted but not yet triaged")
    closed = set_times(make_issue(participant, publish_by=staff, summary="Closed long ago"),
                       created_days_ago=90, status="Closed", resolved_days_ago=60)

    log = publish(user=staff)
    reader, pages = pdf_text(log.pdf)
    text = "\n".join(pages)

    for issue in open_issues:
        assert issue.reference in text
    assert pending.reference not in text  # the industry view holds published issues only
    assert closed.reference not in text
    for heading in SECTION_HEADINGS:
        assert heading in text
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in page
    assert "Published " in pages[0] and "revision 1" in pages[-1]
    titles = outline_titles(reader)
    for heading in SECTION_HEADINGS + ("Trends", "Emerging risks", "Decisions required"):
        assert heading in titles
    week = log_weeks.current_week()
    assert reader.metadata.title == f"Industry Issues Report – week commencing {format_date(week)}"
    assert reader.metadata.author and reader.metadata.subject
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    assert round(float(box.width) / 72 * 25.4) == 297


def test_long_table_repeats_its_header_on_every_page_and_never_splits_a_row(participant, staff):
    issues = [
        make_issue(participant, publish_by=staff, summary=f"Data ingestion anomaly in batch {n}",
                   root_cause="Validation rules stricter than the design " * 4,
                   settlement_impact="Record rejections; settlement reruns needed " * 3 + f"closing words of row {n}.")
        for n in range(45)
    ]
    log = publish()
    _, pages = pdf_text(log.pdf)
    table_pages = [page for page in pages if "IIT-" in page and "Action underway" in page]
    assert len(table_pages) >= 3
    for page in table_pages:
        assert "Issue ID" in page and "Root cause" in page and "Last update" in page
    text = "\n".join(pages[1:])  # page 1 names a few issues in "needs attention"
    for n, issue in enumerate(issues):
        assert text.count(issue.reference) == 1
        # A row's first and last lines are on one page: rows are never split.
        [first] = [i for i, page in enumerate(pages) if i > 0 and issue.reference in page]
        [last] = [i for i, page in enumerate(pages) if f"closing words of row {n}." in page]
        assert first == last


def test_long_words_and_text_wrap_inside_the_page(participant, staff):
    unbroken = "X" * 180
    longest = "Participants report rejected flows at the platform. " * 100  # 5,000 characters, the form's limit
    issue = make_issue(participant, publish_by=staff, summary="Very long reference in the root cause " + "y" * 150,
                       root_cause=f"Token {unbroken} seen in REP-002B", dependencies=longest,
                       settlement_impact=longest, parties_responsible="Elexon / Platform provider / " * 6)
    issue.action_underway = issue.resolution_description = longest
    db.session.commit()
    log = publish()
    _, pages = pdf_text(log.pdf)
    text = " ".join(pages)
    assert issue.reference in text
    assert unbroken in text.replace(" ", "")  # wrapped across lines, not cut off
    # Long fields are shortened so that even the largest row fits on one page, whole.
    [row_page] = [page for page in pages[1:] if issue.reference in page]
    assert row_page.count("shortened: full text on the issue page") == 4
    assert text.count("shortened: full text on the issue page") == 4
    # Every word's box (poppler's layout) lies inside the page, clear of the right margin.
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "poppler-utils (pdftotext) is part of the development setup"
    layout = subprocess.run(  # noqa: S603 (a fixed local tool reading our own PDF)
        [pdftotext, "-bbox", "-", "-"], input=log.pdf, capture_output=True, check=True
    ).stdout.decode()
    page_width = float(re.search(r'<page width="([\d.]+)"', layout).group(1))
    right_edges = [float(x) for x in re.findall(r'xMax="([\d.]+)"', layout)]
    left_edges = [float(x) for x in re.findall(r'xMin="([\d.]+)"', layout)]
    assert len(right_edges) > 100
    assert max(right_edges) < page_width - 20 and min(left_edges) > 20


def test_executive_summary_counts_ages_services_and_statuses(participant, staff):
    week = log_weeks.current_week()
    wednesday = log_weeks.week_start(week) + timedelta(days=2, hours=10)  # "this week" began last Monday
    ages = [0, 13, 14, 29, 30, 59, 60, 89, 90, 400]
    issues = [
        set_times(make_issue(participant, publish_by=staff, services=["DIP", "ISD"] if age == 0 else ["MDS"]),
                  created_days_ago=age, updated_days_ago=min(age, 20), now=wednesday)
        for age in ages
    ]
    set_times(issues[-1], status="Known behaviour")
    set_times(make_issue(participant, publish_by=staff), created_days_ago=40, status="Resolved",
              resolved_days_ago=2, now=wednesday)
    set_times(make_issue(participant, publish_by=staff), created_days_ago=40, status="Closed",
              resolved_days_ago=12, now=wednesday)  # closed before this week began
    make_issue(participant, services=["DAH"])  # pending: not in the industry view

    summary = log_contents.executive_summary(week, now=wednesday)

    assert summary.open_count == 10
    assert summary.new_count == 1
    assert summary.resolved_count == 1
    assert summary.stale_count == 8  # open with no update for 14 days or more
    assert dict(summary.age_profile) == {
        "0–13 days": 2, "14–29 days": 2, "30–59 days": 2, "60–89 days": 2, "90+ days": 2,
    }
    assert dict(summary.by_service) == {"DIP": 1, "ISD": 1, "MDS": 9}
    assert dict(summary.by_status) == {"Under investigation": 9, "Known behaviour": 1}
    assert [bar.value for bar in summary.charts[1].bars] == [2, 2, 2, 2, 2]
    assert [bar.label for bar in summary.charts[0].bars] == ["DIP", "ISD", "MDS"]


def test_stale_issue_is_marked_and_age_shown(participant, staff):
    stale = set_times(make_issue(participant, publish_by=staff, summary="Nobody has updated this"),
                      created_days_ago=45, updated_days_ago=20)
    fresh = make_issue(participant, publish_by=staff, summary="Updated today")
    _, pages = pdf_text(publish().pdf)
    rows = " ".join(pages).split("Last update", 1)[1]
    stale_row = rows[rows.index(stale.reference):rows.index(fresh.reference)]
    fresh_row = rows[rows.index(fresh.reference):]
    assert stale_row.startswith(f"{stale.reference} STALE ")
    assert " 45 " in stale_row and "20 days ago" in stale_row
    assert "STALE" not in fresh_row and "today" in fresh_row and "0 days ago" not in fresh_row


def test_actions_due_or_overdue_with_owners_and_dates(participant, staff):
    issue = make_issue(participant, publish_by=staff)
    today = utcnow().date()
    issue_service.add_action(issue, staff, {"description": "Confirm the schema fix with suppliers",
                                            "owner_name": "Ian Giles", "due_date": today - timedelta(days=3)})
    db.session.commit()
    issue_service.add_action(issue, staff, {"description": "Publish the reconciliation guidance",
                                            "owner_name": "Sam Young", "due_date": today + timedelta(days=40)})
    db.session.commit()
    done = issue_service.add_action(issue, staff, {"description": "Already finished work",
                                                   "owner_name": "Joe Andrews", "due_date": today - timedelta(days=1)})
    db.session.commit()
    issue_service.set_action_status(done, staff, "Done")
    db.session.commit()

    _, pages = pdf_text(publish().pdf)
    text = " ".join(pages)
    actions = text[text.index("Open actions on industry issues due by"):text.index("Industry issues resolved or closed")]
    assert "Confirm the schema fix" in actions and "Ian Giles" in actions and "OVERDUE" in actions
    assert format_date(today - timedelta(days=3)) in actions
    assert "Sam Young" not in actions  # not due this week
    assert "Joe Andrews" not in actions  # done
    assert db.session.query(IssueAction).count() == 3


def test_commentary_is_printed(staff):
    log_service.save_commentary(log_weeks.current_week(), {
        "trends": "DIP rejections fell for the third week.",
        "emerging_risks": "Catalogue version drift before the May release.",
        "decisions_required": "Agree the freeze date for schema changes.",
    }, staff)
    db.session.commit()
    _, pages = pdf_text(publish().pdf)
    text = " ".join(pages)
    assert "DIP rejections fell for the third week." in text
    assert "Catalogue version drift before the May release." in text
    assert "Agree the freeze date for schema changes." in text


def test_resolved_section_covers_the_time_since_the_previous_log(participant, staff):
    week = log_weeks.current_week()
    previous_week = week - timedelta(days=7)
    log_service.publish_log(previous_week, now=utcnow() - timedelta(days=4))
    db.session.commit()
    after = set_times(make_issue(participant, publish_by=staff, summary="Fixed after the last log"),
                      created_days_ago=30, status="Resolved", resolved_days_ago=1)
    before = set_times(make_issue(participant, publish_by=staff, summary="Fixed before the last log"),
                       created_days_ago=30, status="Resolved", resolved_days_ago=6)
    _, pages = pdf_text(log_service.publish_log(week).log.pdf)
    db.session.commit()
    text = " ".join(pages)
    resolved = text[text.index("Industry issues resolved or closed"):]
    assert after.reference in resolved
    assert before.reference not in text


def test_draft_preview_is_marked_and_not_stored(participant, staff):
    make_issue(participant, publish_by=staff)
    _, pages = pdf_text(log_contents.render_draft(log_weeks.current_week()))
    assert "DRAFT" in pages[0]
    assert db.session.query(PublishedLog).count() == 0


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""
    attempts = []

    def refuse(self, address, *args, **kwargs):
        attempts.append(address)
        raise OSError("network access attempted during rendering")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_issue_text_cannot_make_the_renderer_fetch_files_or_urls(participant, staff, monkeypatch, no_network):
    requested = []
    original = StaticOnlyFetcher.fetch

    def spy(self, url, headers=None):
        requested.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", spy)
    issue = make_issue(
        participant, publish_by=staff,
        summary='<img src="file:///etc/passwd"> in a summary',
        root_cause='<link rel="stylesheet" href="http://127.0.0.1:9/evil.css"> see http://example.invalid/x.png',
        settlement_impact='<svg><image href="file:///etc/hostname"/></svg>',
    )
    _, pages = pdf_text(publish().pdf)
    text = " ".join(pages)

    assert requested and all(url.endswith("/static/css/print-log.css") for url in requested)
    assert no_network == []
    assert "root:x:0" not in text
    assert issue.reference in text
    # Printed as the text that was typed, not obeyed as markup.
    compact = "".join(text.split())
    assert '<imgsrc="file:///etc/passwd">' in compact
    assert '<linkrel="stylesheet"href="http://127.0.0.1:9/evil.css">' in compact


def test_fetcher_serves_static_files_only(app, tmp_path, no_network):
    static = app.static_folder
    (tmp_path / "secret.txt").write_text("secret")
    html = f"""<html><head><link rel="stylesheet" href="css/print-log.css">
      <link rel="stylesheet" href="file:///etc/passwd"></head><body>
      <img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png"><img src="https://example.invalid/y.png">
      <img src="../../../../../../etc/passwd"><img src="css/../../../issues_tracker/config.py">
      <img src="file://{tmp_path}/secret.txt"><img src="ftp://example.invalid/z.png">
      <img src="data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'/%3E">
      <p>Body text</p></body></html>"""
    fetcher = StaticOnlyFetcher(static)
    pdf = html_to_pdf(html, static, fetcher=fetcher)

    assert pdf.startswith(b"%PDF")
    assert [url.rsplit("/static/", 1)[-1] for url in fetcher.served] == ["css/print-log.css"]
    refused = " ".join(fetcher.refused)
    for fragment in ("file:///etc/passwd", "127.0.0.1:9", "example.invalid/y.png", "secret.txt",
                     "ftp://", "data:", "config.py"):
        assert fragment in refused
    assert no_network == []
