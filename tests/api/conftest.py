"""Fixtures of the API's tests: tokens made through the same operation as the account page."""

from __future__ import annotations

import pytest

from issues_tracker.api import tokens as api_tokens
from issues_tracker.core.extensions import db


class Api:
    """A test client that sends one token with every request."""

    def __init__(self, client, token: str):
        self.client = client
        self.token = token

    def headers(self, extra=None):
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, url, headers=None, **kw):
        return self.client.get(url, headers=self.headers(headers), **kw)

    def post(self, url, json=None, headers=None, **kw):
        return self.client.post(url, json=json, headers=self.headers(headers), **kw)

    def patch(self, url, json=None, headers=None, **kw):
        return self.client.patch(url, json=json, headers=self.headers(headers), **kw)

    def put(self, url, json=None, headers=None, **kw):
        return self.client.put(url, json=json, headers=self.headers(headers), **kw)

    def delete(self, url, headers=None, **kw):
        return self.client.delete(url, headers=self.headers(headers), **kw)


def make_token(user, scope="write", name="Test integration", **kw) -> str:
    made = api_tokens.create_token(user, name, scope, **kw)
    db.session.commit()
    return made.token


@pytest.fixture
def api_for(app):
    """api_for(user, scope="write") → an Api client acting with a new token of that user."""

    def factory(user, scope="write", name="Test integration", **kw):
        return Api(app.test_client(), make_token(user, scope, name, **kw))

    return factory
