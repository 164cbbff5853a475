"""Who may do what on the service-performance routes: anonymous, participant, staff and admin."""

import pytest
import sqlalchemy as sa

from issues_tracker.core.extensions import db
from issues_tracker.models import Meeting, PirAction, ServiceDeskRecord
from tests.servicedesk_builders import import_rows, record

ROLES = ("anonymous", "participant", "staff", "admin")
SIGNED_IN = {"anonymous": "login", "participant": 200, "staff": 200, "admin": 200}
STAFF_ONLY = {"anonymous": "login", "participant": 403, "staff": 200, "admin": 200}


@pytest.fixture
def world(app, participant, staff, admin):
    import_rows([
        record("INC0000001", "2026-03-02 09:00", priority="P2", state="Resolved", responded="2026-03-02 09:10",
               resolved="2026-03-03 09:00", Major_incident="Y"),
        record("CS0000001", "2026-03-02 09:00", state="Open"),
    ])
    incident = db.session.scalar(sa.select(ServiceDeskRecord).where(ServiceDeskRecord.number == "INC0000001"))
    action = PirAction(record_id=incident.id, description="Check the checks", owner_name="Sam Young")
    meeting = Meeting(meeting_date=__import__("datetime").date(2026, 4, 14), title="Service Management Forum – April")
    db.session.add_all([action, meeting])
    db.session.commit()
    return {"users": {"participant": participant, "staff": staff, "admin": admin}, "action": action.id,
            "meeting": meeting.id}


def expect(**statuses):
    return {"anonymous": "login", **statuses}


# (method, url, expected per role). "login": a redirect to sign in.
MATRIX = [
    ("GET", "/performance", SIGNED_IN),
    ("GET", "/performance?from=2026-03&to=2026-03", SIGNED_IN),
    ("GET", "/performance/kpis.csv?from=2026-03&to=2026-03", SIGNED_IN),
    ("GET", "/performance/aged.csv?as_at=2026-04-14", SIGNED_IN),
    ("GET", "/performance/import", STAFF_ONLY),
    ("POST", "/performance/import", expect(participant=403, staff=422, admin=422)),
    ("GET", "/performance/import/999999", expect(participant=403, staff=404, admin=404)),
    ("GET", "/performance/incidents/INC0000001", SIGNED_IN),
    ("GET", "/performance/incidents/CS0000001", expect(participant=404, staff=404, admin=404)),
    ("GET", "/performance/incidents/INC0009999", expect(participant=404, staff=404, admin=404)),
    ("POST", "/performance/incidents/INC0000001/communications", expect(participant=403, staff=303, admin=303)),
    ("POST", "/performance/incidents/CS0000001/communications", expect(participant=403, staff=404, admin=404)),
    ("POST", "/performance/incidents/INC0000001/updates", expect(participant=403, staff=422, admin=422)),
    ("POST", "/performance/incidents/INC0000001/updates/999999/delete", expect(participant=403, staff=404, admin=404)),
    ("POST", "/performance/incidents/INC0000001/actions", expect(participant=403, staff=422, admin=422)),
    ("POST", "/performance/pir-actions/{action}", expect(participant=403, staff=422, admin=422)),
    ("POST", "/performance/pir-actions/999999", expect(participant=403, staff=404, admin=404)),
    ("GET", "/forum/meetings/{meeting}/pack.pdf", expect(participant=202, staff=202, admin=202)),
    ("GET", "/forum/meetings/{meeting}/pack", expect(participant=303, staff=303, admin=303)),
    ("GET", "/forum/meetings/999999/pack.pdf", expect(participant=404, staff=404, admin=404)),
    ("GET", "/forum/meetings/{meeting}", SIGNED_IN),
]


@pytest.mark.parametrize("method, template, expected", MATRIX, ids=[f"{m} {t}" for m, t, _ in MATRIX])
@pytest.mark.parametrize("role", ROLES)
def test_route_permissions(browser, world, method, template, expected, role):
    if role != "anonymous":
        browser.login(world["users"][role])
    url = template.format(action=world["action"], meeting=world["meeting"])
    response = browser.get(url) if method == "GET" else browser.post(url, {})
    want = expected[role]
    if want == "login":
        assert response.status_code == 302, (role, url, response.status_code)
        assert response.headers["Location"].startswith("/login"), (role, url)
    else:
        assert response.status_code == want, (role, url, response.status_code)


def test_staff_posts_without_a_csrf_token_are_refused(browser, world):
    browser.login(world["users"]["staff"])
    response = browser.post("/performance/import", {}, csrf=False)
    assert response.status_code == 422 and "Your form expired" in response.get_data(as_text=True)
    response = browser.post("/performance/incidents/INC0000001/communications", {"mi_email": "2026-03-02T09:20"},
                            csrf=False)
    assert response.status_code == 400
    incident = db.session.scalar(sa.select(ServiceDeskRecord).where(ServiceDeskRecord.number == "INC0000001"))
    assert incident.mi_email_at is None


def test_the_navigation_links_to_performance(browser, participant):
    browser.login(participant)
    assert '<a href="/performance"' in browser.get("/").get_data(as_text=True)
