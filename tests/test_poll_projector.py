"""The meeting room: a poll's results full screen on the projector, with a QR code to vote."""

import re
from urllib.parse import unquote

import segno
from forum_builders import form_for, make_poll

from issues_tracker.core.extensions import db
from issues_tracker.polls.views import qr_code_data_uri


def test_the_projector_page_shows_large_live_results_and_a_qr_code_to_the_poll(browser, participant, make_user):
    poll = make_poll(title="April forum feedback")
    voter = make_user()
    browser.login(voter)
    browser.post(f"/polls/{poll.id}", form_for(poll, "Yes", "4"))
    browser.logout()
    browser.login(participant)

    response = browser.get(f"/polls/{poll.id}/results")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<body class="projector">' in page and "<h1>April forum feedback" in page
    assert 'class="site-header"' not in page  # full screen: no site navigation
    # The same live fragment as the poll page, refreshed by htmx every 3 seconds.
    assert f'hx-get="/polls/{poll.id}/results" hx-trigger="every 3s" hx-swap="outerHTML"' in page
    assert "<strong>1</strong> response" in page
    # A QR code (SVG from segno) for the poll's address, and the address written out.
    address = f"http://localhost:5000/polls/{poll.id}"  # under BASE_URL (its default), never the request's host
    assert f"<strong>{address}</strong>" in page
    src = re.search(r'<img class="qr-code" src="([^"]+)"', page).group(1)
    assert src.startswith("data:image/svg+xml")
    assert src == qr_code_data_uri(address)
    assert "<svg" in unquote(src) and "<script" not in unquote(src)
    assert src == segno.make(address, error="m").svg_data_uri(scale=10, border=2, dark="#0b2e59")
    assert "style=" not in page and "<style" not in page and "<script>" not in page


def test_the_qr_code_uses_the_configured_site_address(app, browser, participant):
    app.config["BASE_URL"] = "https://issues.example.org"
    poll = make_poll()
    browser.login(participant)
    page = browser.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    address = f"https://issues.example.org/polls/{poll.id}"
    assert f"<strong>{address}</strong>" in page
    assert qr_code_data_uri(address) in page
    assert "http://localhost" not in page  # not the address this request came in on


def test_htmx_still_gets_only_the_results_fragment(browser, participant):
    poll = make_poll()
    browser.login(participant)
    fragment = browser.get(f"/polls/{poll.id}/results", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith("<section id=\"poll-results\"") and "<html" not in fragment
    assert "qr-code" not in fragment


def test_who_may_open_the_projector_page(client, browser, participant, staff):
    draft = make_poll(state="draft")
    response = client.get(f"/polls/{draft.id}/results")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    browser.login(participant)
    assert browser.get(f"/polls/{draft.id}/results").status_code == 404  # a draft is staff's alone
    assert browser.get("/polls/999999/results").status_code == 404
    browser.logout()
    browser.login(staff)
    page = browser.get(f"/polls/{draft.id}/results").get_data(as_text=True)
    assert "Not open yet" in page


def test_a_closed_poll_shows_final_results(browser, participant):
    from issues_tracker.polls import operations as poll_service

    poll = make_poll()
    poll_service.close_poll(poll)
    db.session.commit()
    browser.login(participant)
    page = browser.get(f"/polls/{poll.id}/results").get_data(as_text=True)
    assert "Voting has closed" in page and "final: the poll is closed" in page and "hx-trigger" not in page


def test_the_poll_page_links_to_the_projector_view(browser, participant):
    poll = make_poll()
    browser.login(participant)
    page = browser.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert f'href="/polls/{poll.id}/results"' in page
