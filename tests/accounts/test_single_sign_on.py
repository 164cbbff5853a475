"""Single sign-on end to end against a real OpenID Connect provider (oidc-provider under Node.js):
home-realm discovery by email domain, PKCE, state and nonce, the ID token checked against the
provider's keys; a tampered token, a wrong audience, issuer or nonce, an expired token, a
replayed state and an unclaimed domain are each refused and change nothing."""

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from issues_tracker.accounts import sso
from issues_tracker.accounts.models import Organisation, SsoIdentity, User, UserSession
from issues_tracker.core.extensions import db
from issues_tracker.core.models import utcnow
from issues_tracker.organisations.models import AuditEntry, EmailDomain
from tests.accounts.oidc import OidcProvider, meta_refresh_target
from tests.conftest import BASE_URL, Browser

CALLBACK = f"{BASE_URL}/sso/industry/callback"


@pytest.fixture(scope="module")
def provider():
    running = OidcProvider([CALLBACK], [f"{BASE_URL}/login"])
    yield running
    running.stop()


@pytest.fixture
def sso_app(app, provider):
    app.config.update(BASE_URL=BASE_URL, OIDC_PROVIDERS=provider.settings(staff_claim="groups=service-management"))
    sso.init_app(app)
    provider.tamper("")
    return app


@pytest.fixture
def northern(app):
    """Northern Supply Co, which has claimed and had verified northern.example."""
    organisation = Organisation(name="Northern Supply Co", kind="supplier")
    db.session.add(organisation)
    db.session.flush()
    db.session.add(EmailDomain(organisation_id=organisation.id, domain="northern.example", verified_at=utcnow()))
    db.session.commit()
    return organisation


def start(browser, email: str) -> str:
    """Type the address on the sign-in page (no password): the page that sends the browser to the provider."""
    response = browser.post("/login", {"email": email, "password": ""})
    assert response.status_code == 200, response.data[:300]
    target = meta_refresh_target(response.get_data(as_text=True))
    query = parse_qs(urlsplit(target).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["redirect_uri"] == [CALLBACK]
    assert query["login_hint"] == [email.lower()]
    return target


def back_from(provider, browser, target: str, login: str):
    callback = provider.sign_in(target, login)
    assert callback.startswith(CALLBACK), callback
    return browser.get(callback[len(BASE_URL):]), callback[len(BASE_URL):]


def test_a_first_sso_sign_in_creates_the_account_in_the_organisation_that_claimed_the_domain(sso_app, provider, browser, northern):
    provider.account("alice@northern.example", name="Alice Anders")
    target = start(browser, "Alice@Northern.example")
    assert target.startswith(provider.issuer + "/auth")
    response, _ = back_from(provider, browser, target, "alice@northern.example")
    assert response.status_code == 303
    assert browser.get("/issues").status_code == 200
    user = db.session.scalar(sa.select(User).where(User.email == "alice@northern.example"))
    assert user.organisation_id == northern.id and user.role == "participant" and user.name == "Alice Anders"
    assert not user.has_password
    identity = db.session.scalar(sa.select(SsoIdentity))
    assert (identity.provider, identity.subject, identity.user_id) == ("industry", "alice@northern.example", user.id)
    assert db.session.scalar(sa.select(UserSession.method)) == "sso"
    assert db.session.scalar(sa.select(AuditEntry.action)) == "account.created_sso"


def test_signing_in_again_uses_the_same_account(sso_app, provider, browser, northern, app):
    provider.account("alice@northern.example", name="Alice Anders")
    back_from(provider, browser, start(browser, "alice@northern.example"), "alice@northern.example")
    browser.logout()
    again = Browser(app.test_client())
    response, _ = back_from(provider, again, start(again, "alice@northern.example"), "alice@northern.example")
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_a_staff_role_is_mapped_from_the_groups_claim(sso_app, provider, browser, northern):
    provider.account("sam@northern.example", name="Sam", groups=["service-management", "everyone"])
    back_from(provider, browser, start(browser, "sam@northern.example"), "sam@northern.example")
    assert db.session.scalar(sa.select(User.role).where(User.email == "sam@northern.example")) == "staff"


def test_an_unclaimed_domain_is_refused_with_a_clear_page(sso_app, provider, browser, northern):
    provider.account("uma@unclaimed.example")
    response, _ = back_from(provider, browser, start(browser, "uma@unclaimed.example"), "uma@unclaimed.example")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "No organisation here has claimed unclaimed.example" in page and "/access/request" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


@pytest.mark.parametrize("mode, words", [
    ("signature", "could not be verified"),
    ("audience", "could not be verified"),
    ("issuer", "could not be verified"),
    ("expired", "could not be verified"),
    ("nonce", "could not be verified"),
])
def test_a_bad_id_token_is_refused_and_changes_nothing(sso_app, provider, browser, northern, mode, words):
    provider.account("alice@northern.example")
    target = start(browser, "alice@northern.example")
    provider.tamper(mode)
    response, _ = back_from(provider, browser, target, "alice@northern.example")
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
    assert browser.get("/issues").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_a_replayed_callback_is_refused(sso_app, provider, browser, northern, app):
    provider.account("alice@northern.example")
    response, path = back_from(provider, browser, start(browser, "alice@northern.example"), "alice@northern.example")
    assert response.status_code == 303
    browser.logout()
    replay = browser.get(path)
    assert replay.status_code == 400 and "used already" in replay.get_data(as_text=True)
    stranger = Browser(app.test_client()).get(path)  # the state was never this browser's
    assert stranger.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_an_address_that_no_provider_serves_is_told_to_use_its_password(sso_app, browser, participant):
    response = browser.post("/login", {"email": participant.email, "password": "", "sso": "1"})
    assert response.status_code == 422
    assert "Single sign-on is not set up for that address" in response.get_data(as_text=True)
    browser.login(participant)  # and its password still works


def test_signing_out_ends_the_local_session_and_uses_the_providers_end_session_endpoint(sso_app, provider, browser, northern):
    provider.account("alice@northern.example")
    back_from(provider, browser, start(browser, "alice@northern.example"), "alice@northern.example")
    response = browser.post("/logout")
    assert response.status_code == 200
    target = meta_refresh_target(response.get_data(as_text=True))
    assert target.startswith(f"{provider.issuer}/session/end")
    query = parse_qs(urlsplit(target).query)
    assert query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == [f"{BASE_URL}/login"]
    assert browser.get("/issues").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_sso_is_off_by_default(browser, participant):
    page = browser.get("/login").get_data(as_text=True)
    assert "Use single sign-on" not in page
    assert browser.get("/sso/industry/callback?code=x&state=y").status_code == 404


def test_bad_provider_settings_stop_the_app_with_a_clear_message(database_url):
    from issues_tracker import create_app
    from issues_tracker.core.config import ConfigError

    for text, words in [("not json", "not valid JSON"), ('[{"name": "x"}]', "lacks issuer"),
                        ('[{"name": "a", "issuer": "https://a", "client_id": "c", "client_secret": "s", "domains": ["d.example"],'
                         ' "staff_claim": "groups"}]', "CLAIM=VALUE")]:
        with pytest.raises(ConfigError, match=words):
            create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "OIDC_PROVIDERS": text})


def test_an_invitation_accepted_with_single_sign_on_joins_the_invitations_organisation(sso_app, provider, browser, smtp, staff,
                                                                                       outsider, app):
    from tests.accounts.identity_helpers import deliver, link_in

    staff_browser = Browser(app.test_client())
    staff_browser.login(staff)
    staff_browser.post(f"/organisations/{outsider.organisation_id}/invitations",
                       {"email": "una@unclaimed.example", "role": "organisation_admin"})
    path = link_in(deliver(smtp, 1)[0], "/invitations/")
    page = browser.get(path).get_data(as_text=True)
    assert "Accept with industry (single sign-on)" in page
    response = browser.post(path, {"sso": "1"})
    target = meta_refresh_target(response.get_data(as_text=True))
    provider.account("una@unclaimed.example", name="Una Unclaimed")
    back, _ = back_from(provider, browser, target, "una@unclaimed.example")
    assert back.status_code == 303
    una = db.session.scalar(sa.select(User).where(User.email == "una@unclaimed.example"))
    assert una.organisation_id == outsider.organisation_id and una.organisation_admin and not una.has_password
    assert Browser(app.test_client()).get(path).status_code == 410


def test_an_invitation_accepted_as_someone_else_at_the_provider_is_refused(sso_app, provider, browser, smtp, staff, outsider, app):
    from tests.accounts.identity_helpers import deliver, link_in

    staff_browser = Browser(app.test_client())
    staff_browser.login(staff)
    staff_browser.post(f"/organisations/{outsider.organisation_id}/invitations", {"email": "una@unclaimed.example", "role": "participant"})
    path = link_in(deliver(smtp, 1)[0], "/invitations/")
    target = meta_refresh_target(browser.post(path, {"sso": "1"}).get_data(as_text=True))
    provider.account("ursula@unclaimed.example")
    back, _ = back_from(provider, browser, target, "ursula@unclaimed.example")
    assert back.status_code == 403 and "the invitation is for una@unclaimed.example" in back.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.email.like("%unclaimed%"))) == 0
