"""Who may do what, route by route: anonymous, participant (own organisation and
another), staff and admin, against a pending issue and a published one."""

import pytest

from tests.helpers import make_issue

ROLES = ("anonymous", "owner_org", "other_org", "staff", "admin")


@pytest.fixture
def world(participant, outsider, staff, admin):
    pending = make_issue(participant, summary="Pending issue of Northern Supply")
    published = make_issue(participant, publish_by=staff, summary="Published issue")
    return {
        "users": {"owner_org": participant, "other_org": outsider, "staff": staff, "admin": admin},
        "pending": pending.id,
        "published": published.id,
    }


# (method, url template, expected status per role). "login" means a redirect to sign in.
MATRIX = [
    ("GET", "/", {"anonymous": "login", "owner_org": 200, "other_org": 200, "staff": 200, "admin": 200}),
    ("GET", "/issues", {"anonymous": "login", "owner_org": 200, "other_org": 200, "staff": 200, "admin": 200}),
    ("GET", "/issues.csv", {"anonymous": "login", "owner_org": 200, "other_org": 200, "staff": 200, "admin": 200}),
    ("GET", "/issues.xlsx", {"anonymous": "login", "owner_org": 200, "other_org": 200, "staff": 200, "admin": 200}),
    ("GET", "/issues/new", {"anonymous": "login", "owner_org": 200, "other_org": 200, "staff": 200, "admin": 200}),
    ("POST", "/issues/new", {"anonymous": "login", "owner_org": 422, "other_org": 422, "staff": 422, "admin": 422}),
    ("GET", "/issues/{pending}", {"anonymous": "login", "owner_org": 200, "other_org": 404, "staff": 200, "admin": 200}),
    ("GET", "/issues/{published}", {"anonymous": "login", "owner_org": 200, "other_org": 200, "staff": 200, "admin": 200}),
    ("GET", "/issues/{pending}/edit", {"anonymous": "login", "owner_org": 403, "other_org": 403, "staff": 200, "admin": 200}),
    ("POST", "/issues/{pending}/edit", {"anonymous": "login", "owner_org": 403, "other_org": 403, "staff": 422, "admin": 422}),
    ("POST", "/issues/{pending}/triage", {"anonymous": "login", "owner_org": 403, "other_org": 403, "staff": 422, "admin": 422}),
    ("POST", "/issues/{pending}/actions", {"anonymous": "login", "owner_org": 403, "other_org": 403, "staff": 422, "admin": 422}),
    ("POST", "/issues/{published}/actions/999", {"anonymous": "login", "owner_org": 403, "other_org": 403, "staff": 404, "admin": 404}),
    ("GET", "/issues/999999", {"anonymous": "login", "owner_org": 404, "other_org": 404, "staff": 404, "admin": 404}),
    ("GET", "/admin/", {"anonymous": "login", "owner_org": 403, "other_org": 403, "staff": 200, "admin": 200}),
    ("GET", "/admin/organisations/new", {"anonymous": "login", "owner_org": 403, "other_org": 403, "staff": 403, "admin": 200}),
    ("POST", "/admin/organisations/new", {"anonymous": "login", "owner_org": 403, "other_org": 403, "staff": 403, "admin": 422}),
    ("GET", "/admin/users/new", {"anonymous": "login", "owner_org": 403, "other_org": 403, "staff": 403, "admin": 200}),
    ("POST", "/admin/users/new", {"anonymous": "login", "owner_org": 403, "other_org": 403, "staff": 403, "admin": 422}),
    ("GET", "/healthz", {"anonymous": 200, "owner_org": 200, "other_org": 200, "staff": 200, "admin": 200}),
]


@pytest.mark.parametrize("method, template, expected", MATRIX, ids=[f"{m} {t}" for m, t, _ in MATRIX])
@pytest.mark.parametrize("role", ROLES)
def test_route_permissions(browser, world, method, template, expected, role):
    if role != "anonymous":
        browser.login(world["users"][role])
    url = template.format(pending=world["pending"], published=world["published"])
    response = browser.get(url) if method == "GET" else browser.post(url, {})
    want = expected[role]
    if want == "login":
        assert response.status_code == 302, (role, url, response.status_code)
        assert response.headers["Location"].startswith("/login"), (role, url)
    else:
        assert response.status_code == want, (role, url, response.status_code)


@pytest.mark.parametrize("url", ["/issues/abc", "/issues/-1", "/issues/1.5", "/issues/99999999999999999999999"])
def test_odd_issue_ids_are_not_found(browser, participant, url):
    browser.login(participant)
    assert browser.get(url).status_code == 404


def test_admin_pages_for_other_objects(browser, admin, participant):
    browser.login(admin)
    assert browser.get(f"/admin/users/{participant.id}").status_code == 200
    assert browser.get(f"/admin/organisations/{participant.organisation_id}").status_code == 200
    assert browser.get("/admin/users/999999").status_code == 404
    assert browser.get("/admin/organisations/999999").status_code == 404
