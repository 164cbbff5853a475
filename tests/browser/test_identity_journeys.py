"""Letting people in, in real Chromium: an invitation accepted, sign-in with an authenticator
code, an organisation admin inviting a colleague who then resets a forgotten password; single
sign-on through a real OpenID Connect provider; a passkey added and used with Chromium's
virtual authenticator (the DevTools WebAuthn domain)."""

import re

import pyotp
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from issues_tracker.accounts import sso
from issues_tracker.accounts.models import Organisation, User, UserSession
from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.notifications.delivery import deliver_pending
from issues_tracker.organisations.models import EmailDomain
from tests.accounts.oidc import OidcProvider
from tests.browser.conftest import axe_violations, sign_in, watch_problems

pytestmark = pytest.mark.browser


@pytest.fixture
def site(app, live_server, smtp):
    """The live site at http://localhost:<port> (a passkey's relying party must be a name, not an
    address), with links in email pointing at it."""
    base = live_server.replace("127.0.0.1", "localhost")
    app.config["BASE_URL"] = base
    return base


@pytest.fixture
def tab(chromium, site):
    context = chromium.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch_problems(page)
    yield page
    context.close()


def emailed_link(smtp, address: str, path: str, site: str) -> str:
    deliver_pending()
    for _ in range(50):
        mails = smtp.to(address)
        if mails:
            match = re.search(re.escape(site + path) + r"\S+", mails[-1].text)
            if match:
                return match.group(0)[len(site):]
        smtp.wait_for(len(smtp.received) + 1, timeout=0.1)
    raise AssertionError(f"no email with {path} to {address}")


def next_code(key: str) -> str:
    totp = pyotp.TOTP(key)
    return totp.generate_otp(totp.timecode(utcnow()) + 1)


def test_invite_accept_two_factor_invite_a_colleague_who_resets_a_forgotten_password(chromium, site, tab, smtp, staff, participant):
    organisation = participant.organisation
    # Staff invite an organisation admin from the organisation's admin page.
    sign_in(tab, staff)
    tab.goto(f"/admin/organisations/{organisation.id}")
    tab.get_by_label("Email address").fill("olga@northern.example")
    tab.get_by_label("Role").select_option("organisation_admin")
    tab.get_by_role("button", name="Send invitation").click()
    expect(tab.locator("#saved")).to_contain_text("Invitation sent to olga@northern.example")
    expect(tab.locator("#invitations")).to_contain_text("Pending until")
    assert axe_violations(tab) == []
    tab.get_by_role("button", name="Sign out").click()

    # Olga accepts and chooses a password.
    tab.goto(emailed_link(smtp, "olga@northern.example", "/invitations/", site))
    expect(tab.get_by_role("heading", name="Join Northern Supply Co")).to_be_visible()
    tab.get_by_label("Your name").fill("Olga Orgadmin")
    tab.get_by_label("Choose a password").fill("walnut-harbour-signal")
    tab.get_by_label("Password again").fill("walnut-harbour-signal")
    tab.get_by_role("button", name="Create my account").click()
    expect(tab.locator(".flash-success")).to_contain_text("Your account is ready")

    # She signs in and turns on the authenticator, reading the key as text beside the QR code.
    tab.get_by_label("Email address").fill("olga@northern.example")
    tab.get_by_label("Password").fill("walnut-harbour-signal")
    tab.get_by_role("button", name="Sign in", exact=True).click()
    tab.wait_for_url(re.compile(r"/$"))
    tab.goto("/account/security")
    tab.get_by_role("button", name="Set up an authenticator app").click()
    expect(tab.locator(".qr-code svg")).to_be_visible()
    key = tab.locator("#totp-key").inner_text()
    tab.get_by_label("Code from the app").fill(pyotp.TOTP(key).now())
    tab.get_by_role("button", name="Turn on").click()
    expect(tab.locator(".recovery-codes li")).to_have_count(10)
    tab.get_by_role("button", name="I have kept them").click()
    tab.get_by_role("button", name="Sign out").click()

    # Signing in now asks for a code.
    tab.get_by_label("Email address").fill("olga@northern.example")
    tab.get_by_label("Password").fill("walnut-harbour-signal")
    tab.get_by_role("button", name="Sign in", exact=True).click()
    tab.wait_for_url("**/login/verify")
    tab.get_by_label("Code").fill(next_code(key))
    tab.get_by_role("button", name="Continue").click()
    tab.wait_for_url(re.compile(r"/$"))
    expect(tab.get_by_role("link", name="My organisation")).to_be_visible()

    # As the organisation's admin she invites a colleague from /organisation.
    tab.get_by_role("link", name="My organisation").click()
    tab.get_by_label("Email address").fill("colin@northern.example")
    tab.get_by_role("button", name="Send invitation").click()
    expect(tab.locator("#saved")).to_contain_text("Invitation sent to colin@northern.example")
    assert axe_violations(tab) == []

    colin = chromium.new_context(base_url=site).new_page()
    colin.goto(emailed_link(smtp, "colin@northern.example", "/invitations/", site))
    colin.get_by_label("Your name").fill("Colin Colleague")
    colin.get_by_label("Choose a password").fill("copper-kettle-meadow")
    colin.get_by_label("Password again").fill("copper-kettle-meadow")
    colin.get_by_role("button", name="Create my account").click()
    expect(colin.locator(".flash-success")).to_contain_text("Your account is ready")

    # Colin forgets his password and resets it by the emailed link.
    colin.get_by_role("link", name="Forgot your password?").click()
    colin.get_by_label("Email address").fill("colin@northern.example")
    colin.get_by_role("button", name="Send me a reset link").click()
    expect(colin.get_by_role("heading", name="Check your email")).to_be_visible()
    colin.goto(emailed_link(smtp, "colin@northern.example", "/password/reset/", site))
    colin.locator("#password").fill("silver-canyon-mosaic")
    colin.get_by_label("New password again").fill("silver-canyon-mosaic")
    colin.get_by_role("button", name="Set password").click()
    colin.get_by_label("Email address").fill("colin@northern.example")
    colin.get_by_label("Password").fill("silver-canyon-mosaic")
    colin.get_by_role("button", name="Sign in", exact=True).click()
    colin.wait_for_url(re.compile(r"/$"))
    expect(colin.locator("footer")).to_contain_text("Colin Colleague (Northern Supply Co, participant)")
    assert tab.problems == []


def test_a_first_single_sign_on_creates_the_account_in_the_right_organisation(app, site, tab):
    provider = OidcProvider([f"{site}/sso/industry/callback"], [f"{site}/login"])
    try:
        app.config["OIDC_PROVIDERS"] = provider.settings(label="Industry sign-in")
        sso.init_app(app)
        organisation = Organisation(name="Northern Supply Co", kind="supplier")
        db.session.add(organisation)
        db.session.flush()
        db.session.add(EmailDomain(organisation_id=organisation.id, domain="northern.example", verified_at=utcnow()))
        db.session.commit()
        provider.account("nadia@northern.example", name="Nadia North")

        tab.goto("/login")
        tab.get_by_label("Email address").fill("nadia@northern.example")
        tab.get_by_role("button", name="Use single sign-on").click()
        tab.wait_for_url(f"{provider.issuer}/**")  # the provider's own sign-in page
        tab.locator("input[name=login]").fill("nadia@northern.example")
        tab.locator("input[name=password]").fill("anything")
        tab.locator("button[type=submit]").click()
        tab.wait_for_url(re.compile(re.escape(site) + r"/$"))
        expect(tab.locator("footer")).to_contain_text("Nadia North (Northern Supply Co, participant)")
        user = db.session.scalar(sa.select(User).where(User.email == "nadia@northern.example"))
        assert user.organisation_id == organisation.id
    finally:
        provider.stop()


def test_a_passkey_is_added_then_used_to_sign_in_without_password_or_code(site, tab, participant):
    session = tab.context.new_cdp_session(tab)
    session.send("WebAuthn.enable")
    session.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    sign_in(tab, participant)
    tab.goto("/account/security")
    assert axe_violations(tab) == []
    tab.get_by_label("Name of the new passkey").fill("Work laptop")
    tab.get_by_role("button", name="Add a passkey").click()
    expect(tab.locator("#saved")).to_contain_text("Passkey “Work laptop” added")
    expect(tab.locator("#passkeys")).to_contain_text("Work laptop")
    tab.get_by_role("button", name="Sign out").click()

    tab.goto("/login")
    assert axe_violations(tab) == []
    tab.get_by_role("button", name="Use a passkey").click()
    tab.wait_for_url(re.compile(r"/$"))
    expect(tab.locator("footer")).to_contain_text("Pat Participant")
    methods = db.session.scalars(sa.select(UserSession.method)).all()
    assert methods == ["passkey"]
    assert tab.problems == []
