"""A real OpenID Connect provider for the tests: the certified `oidc-provider` package under
Node.js (installed by scripts/setup.sh dev into tests/accounts/oidc_provider/node_modules),
started on a free loopback port. Real discovery, JWKS, signed ID tokens and redirects."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.mail import free_port

HERE = Path(__file__).parent / "oidc_provider"
CLIENT_ID = "issues-tracker"
CLIENT_SECRET = "a-client-secret-for-the-tests-only"


class OidcProvider:
    def __init__(self, redirect_uris: list[str], post_logout_redirect_uris: list[str]):
        if shutil.which("node") is None or not (HERE / "node_modules" / "oidc-provider").exists():
            pytest.fail("The OpenID Connect provider is not installed: run scripts/setup.sh dev (needs Node.js 20 and npm)")
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        clients = [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris,
                    "post_logout_redirect_uris": post_logout_redirect_uris}]
        self.process = subprocess.Popen(
            ["node", str(HERE / "provider.mjs"), str(self.port), json.dumps({"clients": clients})],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
            if self.process.poll() is not None:
                break
        self.stop()
        pytest.fail(f"The OpenID Connect provider did not start: {self.process.stdout.read() if self.process.stdout else ''}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def settings(self, name: str = "industry", domains=("northern.example", "unclaimed.example"), **extra) -> str:
        """OIDC_PROVIDERS for the app, naming this provider."""
        return json.dumps([{"name": name, "issuer": self.issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                            "domains": list(domains), **extra}])

    def account(self, login: str, **claims) -> None:
        claims.setdefault("email", login)
        claims.setdefault("email_verified", True)
        requests.put(f"{self.issuer}/test/accounts/{login}", json=claims, timeout=5).raise_for_status()

    def tamper(self, mode: str) -> None:
        requests.put(f"{self.issuer}/test/tamper", json={"mode": mode}, timeout=5).raise_for_status()

    def sign_in(self, authorization_url: str, login: str) -> str:
        """Sign in at the provider's own pages, as a person would; the URL it sends the browser back to."""
        session = requests.Session()
        page = session.get(authorization_url, timeout=10)
        assert page.status_code == 200, page.text[:300]
        action = html.unescape(re.search(r'<form[^>]*action="([^"]+)"', page.text).group(1))
        response = session.post(urljoin(page.url, action), data={"prompt": "login", "login": login, "password": "any"},
                                allow_redirects=False, timeout=10)
        while response.status_code in (302, 303):
            location = urljoin(response.url, response.headers["Location"])
            if urlsplit(location).netloc != urlsplit(self.issuer).netloc:
                return location
            response = session.get(location, allow_redirects=False, timeout=10)
        raise AssertionError(f"the provider did not send the browser back: {response.status_code} {response.text[:300]}")


def meta_refresh_target(page: str) -> str:
    """Where a "taking you to …" page sends the browser."""
    match = re.search(r'<meta http-equiv="refresh" content="0;url=([^"]+)">', page)
    assert match, page[:500]
    return html.unescape(match.group(1))
