"""Every operation of the API document: no token gets 401 (a signed-in browser too), and a read
token changes nothing (403)."""

from __future__ import annotations

import pytest

from tests.api.conftest import make_token
from tests.helpers import make_issue


def operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method in item:
            if path != "/api/v1/openapi.json":
                yield method.upper(), path.replace("{issue_id}", "1").replace("{subscription_id}", "1").replace(
                    "{poll_id}", "1")


def test_every_operation_needs_a_token_even_from_a_signed_in_browser(client, browser, participant):
    browser.login(participant)
    found = list(operations(client))
    assert len(found) >= 19
    for method, path in found:
        response = browser.client.open(path, method=method, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("role", ["participant", "staff"])
def test_a_read_token_changes_nothing(app, client, role, participant, staff):
    user = participant if role == "participant" else staff
    make_issue(participant, publish_by=staff)
    headers = {"Authorization": f"Bearer {make_token(user, 'read')}"}
    writes = [(method, path) for method, path in operations(client) if method != "GET"]
    assert len(writes) >= 9
    for method, path in writes:
        response = client.open(path, method=method, json={"body": "x"}, headers=headers)
        assert response.status_code == 403, (method, path)
