"""The issues log in the browser: archive, downloads, commentary, preview and publishing."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from issues_tracker.core.extensions import db
from issues_tracker.jobs import run_queued_jobs
from issues_tracker.log import operations as log_service
from issues_tracker.log import weeks as log_weeks
from issues_tracker.models import Job, LogCommentary, PublishedLog
from tests.helpers import make_issue


@pytest.fixture
def week():
    return log_weeks.current_week()


@pytest.fixture
def published(participant, staff, week):
    """This week published once, with one open issue."""
    make_issue(participant, publish_by=staff, summary="Message schema validation failures")
    log = log_service.publish_log(week, user=staff).log
    db.session.commit()
    return log


def stored_log(week, revision=1) -> PublishedLog | None:
    return db.session.scalar(
        sa.select(PublishedLog).where(PublishedLog.week_commencing == week, PublishedLog.revision == revision)
    )


def panel_of(browser, url) -> str:
    return browser.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)


# ---------------------------------------------------------------- who may do what

STAFF_ONLY = [
    ("post", "/log/preview"),
    ("get", "/log/preview/1"),
    ("get", "/log/commentary/{week}"),
    ("post", "/log/commentary/{week}"),
    ("post", "/log/publish"),
    ("get", "/log/publish"),
]
SIGNED_IN = [("get", "/log"), ("get", "/log/latest.pdf"), ("get", "/log/{week}.pdf")]


@pytest.mark.parametrize(("method", "url"), STAFF_ONLY + SIGNED_IN)
def test_anonymous_visitors_are_sent_to_sign_in(browser, published, week, method, url):
    response = getattr(browser, method)(url.format(week=week.isoformat()))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "url"), STAFF_ONLY)
def test_participants_cannot_preview_publish_or_write_commentary(browser, participant, published, week, method, url):
    browser.login(participant)
    response = getattr(browser, method)(url.format(week=week.isoformat()))
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedLog)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LogCommentary)) == 0


def test_participant_sees_archive_and_summary_but_no_staff_controls(browser, participant, published, week):
    browser.login(participant)
    page = browser.get("/log").get_data(as_text=True)
    assert "Published logs" in page and week.strftime("%d %b %Y") in page
    assert "Open issues by service" in page and "<svg" in page
    assert "Publish the log" not in page and "Preview the draft" not in page and "/log/commentary/" not in page
    response = browser.get(f"/log/{week.isoformat()}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"


# ---------------------------------------------------------------- downloads


def test_downloads_are_the_stored_bytes_identical_every_time(browser, participant, published, week):
    browser.login(participant)
    first = browser.get(f"/log/{week.isoformat()}.pdf")
    second = browser.get(f"/log/{week.isoformat()}.pdf")
    latest = browser.get("/log/latest.pdf")
    assert first.data == second.data == latest.data
    assert hashlib.sha256(first.data).hexdigest() == published.sha256
    assert first.headers["ETag"] == f'"{published.sha256}"'
    assert "private" in first.headers["Cache-Control"]
    assert f"industry-issues-log-{week.isoformat()}.pdf" in first.headers["Content-Disposition"]
    assert PdfReader(io.BytesIO(first.data)).pages


def test_unchanged_download_answers_not_modified(browser, participant, published, week):
    browser.login(participant)
    response = browser.get(f"/log/{week.isoformat()}.pdf", headers={"If-None-Match": f'"{published.sha256}"'})
    assert response.status_code == 304
    assert response.data == b""


@pytest.mark.parametrize("path", [
    "/log/2026-13-45.pdf", "/log/not-a-date.pdf", "/log/2026-4-6.pdf", "/log/20260406.pdf",
    "/log/{tuesday}.pdf", "/log/{week}.pdf?revision=abc", "/log/{week}.pdf?revision=0",
    "/log/{week}.pdf?revision=7", "/log/{last_week}.pdf", "/log/commentary/2026-02-30",
])
def test_bad_or_unknown_dates_in_the_address_are_not_found(browser, staff, published, week, path):
    browser.login(staff)
    url = path.format(week=week.isoformat(), tuesday=(week + timedelta(days=1)).isoformat(),
                      last_week=(week - timedelta(days=7)).isoformat())
    response = browser.get(url)
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


def test_latest_is_not_found_before_anything_is_published(browser, participant):
    browser.login(participant)
    response = browser.get("/log/latest.pdf")
    assert response.status_code == 404
    assert "No issues log has been published yet" in response.get_data(as_text=True)


def test_a_revision_keeps_the_earlier_one_downloadable(browser, participant, staff, published, week):
    revised = log_service.publish_log(week, user=staff, revise=True, reason="Owner of IIT-0001 corrected").log
    db.session.commit()
    browser.login(participant)
    current = browser.get(f"/log/{week.isoformat()}.pdf")
    original = browser.get(f"/log/{week.isoformat()}.pdf?revision=1")
    assert hashlib.sha256(current.data).hexdigest() == revised.sha256
    assert hashlib.sha256(original.data).hexdigest() == published.sha256
    assert "immutable" in original.headers["Cache-Control"]
    assert "industry-issues-log-" + week.isoformat() + "-r2.pdf" in current.headers["Content-Disposition"]
    text = " ".join(PdfReader(io.BytesIO(current.data)).pages[0].extract_text().split())
    assert "Revision 2" in text and "Owner of IIT-0001 corrected" in text
    page = browser.get("/log").get_data(as_text=True)
    assert f"/log/{week.isoformat()}.pdf?revision=1" in page
    assert "Owner of IIT-0001 corrected" in page


# ---------------------------------------------------------------- the page


def test_page_shows_the_executive_summary_and_chart_within_the_csp(browser, staff, participant):
    make_issue(participant, publish_by=staff, services=["DIP"])
    make_issue(participant, publish_by=staff, services=["ISD", "DIP"])
    make_issue(participant, services=["MDS"])  # not published: not counted
    browser.login(staff)
    response = browser.get("/log")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    kpis = re.findall(r'<h3>([^<]+)</h3><p class="big-number">(\d+)</p>', page)
    assert ("Open issues", "2") in kpis and ("New this week", "2") in kpis
    # Each breakdown once: services and ages as charts (their text alternative holds the numbers), status as a table.
    service_chart = re.search(r'<desc id="chart-by-service-desc">([^<]*)</desc>', page).group(1)
    assert service_chart == "DIP: 2; ISD: 1"  # MDS is not published, so not counted
    assert re.search(r'<desc id="chart-age-profile-desc">0–13 days: 2;', page)
    assert re.search(r'<th scope="row"><span class="pill pill-waiting">Under investigation</span></th><td>2</td>', page)
    assert "<caption>Open issues by service" not in page and page.count("<figcaption>Open issues by service") == 1
    assert page.count("Open issues by current status") == 1
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart"' in page
    assert "style=" not in page and "<style" not in page and "<script>" not in page
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Publish the log" in page and "hx-disabled-elt" in page and "hx-indicator" in page


# ---------------------------------------------------------------- commentary


def test_staff_write_commentary_that_the_published_log_prints(browser, staff, week):
    browser.login(staff)
    url = f"/log/commentary/{week.isoformat()}"
    assert "Decisions required" in browser.get(url).get_data(as_text=True)
    response = browser.post(url, {
        "trends": "DIP rejections fell.", "emerging_risks": "Catalogue drift.", "decisions_required": "Freeze date.",
    })
    assert response.status_code == 303
    commentary = db.session.scalar(sa.select(LogCommentary))
    assert (commentary.week_commencing, commentary.trends, commentary.updated_by_id) == (week, "DIP rejections fell.", staff.id)
    pdf = log_service.publish_log(week).log.pdf
    db.session.commit()
    assert "Catalogue drift." in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_too_long_commentary_is_refused_with_the_input_kept(browser, staff, week):
    browser.login(staff)
    response = browser.post(f"/log/commentary/{week.isoformat()}", {"trends": "x" * 10_001, "emerging_risks": "Kept"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in page and "10000" in page.replace(",", "")
    assert re.search(r'name="emerging_risks">\s*Kept</textarea>', page)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LogCommentary)) == 0


# ---------------------------------------------------------------- publishing from the browser


def test_staff_publish_from_the_page_runs_as_a_background_job(browser, staff, participant, week):
    make_issue(participant, publish_by=staff, summary="Visibility of message processing status")
    browser.login(staff)
    response = browser.post("/log/publish", {"week": week.isoformat()}, htmx=True)
    panel = response.get_data(as_text=True)
    assert response.status_code == 202
    assert "Publishing the log: waiting for a worker" in panel and "<html" not in panel
    assert re.search(r"<button type=\"submit\" disabled>", panel)
    status_url = re.search(r'hx-get="(/jobs/\d+\?then=reload)"', panel).group(1)
    assert stored_log(week) is None  # nothing is rendered in the request

    assert run_queued_jobs() == 1
    log = stored_log(week)
    assert log.published_by_id == staff.id and log.revision == 1
    finished = browser.get(status_url, headers={"HX-Request": "true"})
    panel = finished.get_data(as_text=True)
    assert "Published the industry issues log" in panel
    assert f"/log/{week.isoformat()}.pdf?revision=1" in panel and "Download revision 1" in panel
    assert "hx-get" not in panel  # finished: no more polling
    # The finished job reloads the page so the summary and the archive show the new log.
    assert finished.headers["HX-Refresh"] == "true"
    page = browser.get("/log").get_data(as_text=True)
    assert "Published the industry issues log" in page and 'disabled>' not in page

    again = browser.post("/log/publish", {"week": week.isoformat()}, htmx=True)
    assert again.status_code == 200 and "already published" in again.get_data(as_text=True)
    assert run_queued_jobs() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedLog)) == 1


def test_a_second_publish_while_one_is_queued_follows_the_first(browser, staff, make_user, week):
    other = make_user("staff", org="Elexon", name="Other Staff")
    browser.login(staff)
    first = browser.post("/log/publish", {"week": week.isoformat()}, htmx=True).get_data(as_text=True)
    job_id = re.search(r'id="job-(\d+)"', first).group(1)
    browser.logout()
    browser.login(other)
    page = browser.get("/log").get_data(as_text=True)
    assert f'id="job-{job_id}"' in page and "Rendering…" in page  # every member of staff sees it under way
    second = browser.post("/log/publish", {"week": week.isoformat()}, htmx=True).get_data(as_text=True)
    assert f'id="job-{job_id}"' in second
    assert run_queued_jobs() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedLog)) == 1


def test_staff_publish_a_revision_without_javascript(browser, staff, published, week):
    browser.login(staff)
    response = browser.post("/log/publish", {"week": week.isoformat(), "revise": "y", "reason": "Wrong owner shown"})
    assert response.status_code == 303
    job_page = response.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", job_page)
    page = browser.get(job_page).get_data(as_text=True)
    assert "<html" in page and "waiting for a worker" in page and "Check again" in page
    run_queued_jobs()
    revised = stored_log(week, revision=2)
    assert revised.reason == "Wrong owner shown"
    assert "Published revision 2" in browser.get(job_page).get_data(as_text=True)
    first = stored_log(week, revision=1)
    assert first.sha256 == published.sha256 and hashlib.sha256(first.pdf).hexdigest() == published.sha256


@pytest.mark.parametrize(("data", "message"), [
    ({"week": "{tuesday}"}, "is a Tuesday"),
    ({"week": "13/04/2026"}, "is not a date"),
    ({"week": "{next_week}"}, "has not started yet"),
    ({"week": "{week}", "revise": "y"}, "Say what the revision corrects"),
    ({"week": "{week}", "reason": "Just because"}, "only needed for a revision"),
    ({"week": "{last_week}", "revise": "y", "reason": "Fix"}, "no published log"),
])
def test_publish_requests_that_cannot_be_done_are_refused_clearly(browser, staff, published, week, data, message):
    browser.login(staff)
    values = {
        key: value.format(week=week.isoformat(), tuesday=(week + timedelta(days=1)).isoformat(),
                          next_week=(week + timedelta(days=7)).isoformat(),
                          last_week=(week - timedelta(days=7)).isoformat())
        for key, value in data.items()
    }
    response = browser.post("/log/publish", values, htmx=True)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedLog)) == 1


def test_staff_preview_renders_a_draft_in_the_background_without_publishing(browser, staff, participant, week):
    issue = make_issue(participant, publish_by=staff)
    browser.login(staff)
    response = browser.post("/log/preview", {"week": week.isoformat()}, htmx=True)
    panel = response.get_data(as_text=True)
    assert response.status_code == 202 and "Rendering the draft log: waiting for a worker" in panel
    assert re.search(r'<button type="submit" class="secondary" disabled>', panel)
    url = re.search(r'hx-get="(/log/preview/\d+)"', panel).group(1)

    run_queued_jobs()
    panel = panel_of(browser, url)
    assert "Open the draft (PDF)" in panel and '<button type="submit" class="secondary">Preview the draft' in panel
    pdf = browser.get(url)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "private, no-store"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "DRAFT" in text and issue.reference in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PublishedLog)) == 0


def test_preview_without_javascript_shows_progress_then_the_pdf(browser, staff, week):
    browser.login(staff)
    response = browser.post("/log/preview", {"week": week.isoformat()})
    assert response.status_code == 303
    url = response.headers["Location"]
    page = browser.get(url)
    assert "Draft preview" in page.get_data(as_text=True) and "Check again" in page.get_data(as_text=True)
    run_queued_jobs()
    assert browser.get(url).data.startswith(b"%PDF")


def test_preview_of_a_week_that_is_not_a_monday_is_refused(browser, staff, week):
    browser.login(staff)
    response = browser.post("/log/preview", {"week": (week + timedelta(days=2)).isoformat()}, htmx=True)
    assert response.status_code == 422
    assert "is a Wednesday" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_unknown_progress_is_not_found(browser, staff, week):
    browser.login(staff)
    browser.post("/log/publish", {"week": week.isoformat()}, htmx=True)
    publish_job = db.session.scalar(sa.select(Job.id))
    for url in ("/log/preview/999999", "/log/preview/not-a-job", "/log/preview/../x", "/jobs/999999",
                "/jobs/99999999999", f"/log/preview/{publish_job}"):
        assert browser.get(url).status_code == 404, url
