"""Single sign-on through OpenID Connect (Authlib's Flask client): home-realm discovery by email
domain, the authorisation-code flow with PKCE, state and nonce, and the ID token's signature,
issuer, audience, expiry and nonce checked against the provider's published keys.

Configured by OIDC_PROVIDERS, a JSON list:

    [{"name": "entra", "issuer": "https://login.microsoftonline.com/<tenant>/v2.0",
      "client_id": "…", "client_secret": "…", "domains": ["elexon.co.uk"],
      "staff_claim": "roles=ServiceManagement"}]

`domains`: the email domains the provider signs people in for (a person typing such an
address is sent there, and the provider is believed only for addresses in them).
`staff_claim` ("CLAIM=VALUE"): a person whose ID token's CLAIM is, or lists, VALUE is staff.
Unset, single sign-on is off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from ..core.extensions import db
from ..core.models import utcnow
from ..core.urls import external_url
from .models import SsoIdentity, User
from .operations import normalise_email

SCOPE = "openid email profile"
HTTP_TIMEOUT = 10


class ProviderSettingsError(ValueError):
    """OIDC_PROVIDERS cannot be used; the message says why."""


class SsoRefused(Exception):
    """The sign-in was refused; `message` is for the person, `status` the answer's code."""

    def __init__(self, message: str, status: int = 403, *, action: str = ""):
        super().__init__(message)
        self.message, self.status, self.action = message, status, action


@dataclass(frozen=True)
class Provider:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    domains: tuple[str, ...]
    staff_claim: tuple[str, str] | None = None
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name


def parse_providers(text: str | None) -> list[Provider]:
    if not text:
        return []
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ProviderSettingsError(f"not valid JSON ({exc})") from None
    if not isinstance(raw, list):
        raise ProviderSettingsError("give a JSON list of providers")
    providers, names, domains = [], set(), {}
    for position, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise ProviderSettingsError(f"provider {position} is not a JSON object")
        missing = [key for key in ("name", "issuer", "client_id", "client_secret", "domains") if not entry.get(key)]
        if missing:
            raise ProviderSettingsError(f"provider {position} lacks {', '.join(missing)}")
        name = str(entry["name"]).strip()
        if not name.replace("-", "").replace("_", "").isalnum() or len(name) > 60:
            raise ProviderSettingsError(f"provider {position}'s name must be letters, digits, - or _ (at most 60)")
        if name in names:
            raise ProviderSettingsError(f"two providers are named {name}")
        names.add(name)
        issuer = str(entry["issuer"]).strip().rstrip("/")
        if not issuer.startswith(("https://", "http://")):
            raise ProviderSettingsError(f"provider {name}'s issuer must be an https:// address")
        if not isinstance(entry["domains"], list) or not all(isinstance(d, str) and d.strip() for d in entry["domains"]):
            raise ProviderSettingsError(f"provider {name}'s domains must be a list of email domains")
        served = tuple(sorted({d.strip().lower().lstrip("@") for d in entry["domains"]}))
        for domain in served:
            if domain in domains:
                raise ProviderSettingsError(f"{domain} is served by both {domains[domain]} and {name}")
            domains[domain] = name
        staff = None
        if entry.get("staff_claim"):
            claim, sep, value = str(entry["staff_claim"]).partition("=")
            if not sep or not claim.strip() or not value.strip():
                raise ProviderSettingsError(f"provider {name}'s staff_claim must read CLAIM=VALUE, e.g. roles=ServiceManagement")
            staff = (claim.strip(), value.strip())
        providers.append(
            Provider(
                name, issuer, str(entry["client_id"]), str(entry["client_secret"]), served, staff, str(entry.get("label") or "")
            )
        )
    return providers


def init_app(app: Flask) -> None:
    """Read the providers (the app refuses to start with settings it cannot use) and register them with Authlib."""
    try:
        providers = parse_providers(app.config.get("OIDC_PROVIDERS"))
    except ProviderSettingsError as exc:
        from ..core.config import ConfigError

        raise ConfigError(f"OIDC_PROVIDERS: {exc}") from None
    oauth = OAuth(app)
    for provider in providers:
        oauth.register(
            name=provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": HTTP_TIMEOUT},
        )
    app.extensions["sso_providers"] = {provider.name: provider for provider in providers}
    app.extensions["sso_oauth"] = oauth


def providers() -> dict[str, Provider]:
    return current_app.extensions.get("sso_providers", {})


def enabled() -> bool:
    return bool(providers())


def client(name: str):
    return current_app.extensions["sso_oauth"].create_client(name)


def provider_for_email(email: str) -> Provider | None:
    """Home-realm discovery: the provider serving the address's domain."""
    domain = normalise_email(email).rpartition("@")[2]
    for provider in providers().values():
        if domain and domain in provider.domains:
            return provider
    return None


def callback_url(provider: Provider) -> str:
    return external_url("accounts.sso_callback", provider=provider.name)


def authorization_url(provider: Provider, login_hint: str = "") -> str:
    """Where to send the person; PKCE verifier, state and nonce are kept in their session."""
    oauth_client = client(provider.name)
    redirect_uri = callback_url(provider)
    extra = {"login_hint": login_hint} if login_hint else {}
    try:
        rv = oauth_client.create_authorization_url(redirect_uri, **extra)
    except (OAuthError, OSError, ValueError) as exc:
        raise SsoRefused(
            f"{provider.title} cannot be reached just now ({exc.__class__.__name__}). "
            "Try again shortly, or sign in with a password.",
            503,
        ) from None
    oauth_client.save_authorize_data(redirect_uri=redirect_uri, **rv)
    return rv["url"]


def finish(provider: Provider) -> tuple[dict, str]:
    """The verified ID token's claims and the raw ID token, from the provider's answer on the callback."""
    oauth_client = client(provider.name)
    try:
        metadata = oauth_client.load_server_metadata()
        if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer:
            raise SsoRefused(f"{provider.title} describes itself as another issuer; sign-in refused.", 502)
        token = oauth_client.authorize_access_token()
    except SsoRefused:
        raise
    except OAuthError as exc:
        if exc.error in ("mismatching_state", "missing_state"):
            raise SsoRefused(
                "This sign-in link has been used already or was started in another browser. Start again from the sign-in page.",
                400,
            ) from None
        raise SsoRefused(f"{provider.title} did not sign you in ({exc.error}). Start again from the sign-in page.", 400) from None
    except Exception as exc:  # a bad signature, audience, issuer, expiry or nonce, or an unreachable provider
        name = exc.__class__.__name__
        if isinstance(exc, OSError):
            raise SsoRefused(f"{provider.title} cannot be reached just now. Try again shortly.", 503) from None
        raise SsoRefused(
            f"The sign-in from {provider.title} could not be verified ({name}), so it was refused. "
            "Start again from the sign-in page.",
            400,
        ) from None
    claims = token.get("userinfo")
    if not claims or not token.get("id_token"):
        raise SsoRefused(f"{provider.title} sent no ID token; sign-in refused.", 400)
    return dict(claims), token["id_token"]


def _claim_matches(claims: dict, claim: str, value: str) -> bool:
    found = claims.get(claim)
    if isinstance(found, list):
        return value in [str(item) for item in found]
    return str(found) == value if found is not None else False


def account_for(provider: Provider, claims: dict, *, now=None) -> tuple[User, bool]:
    """The account these verified claims sign in: linked before, matched by address, or created in
    the organisation that has claimed (and had verified) the address's domain. (user, created)."""
    from ..organisations.domains import organisation_for_domain
    from .operations import create_user

    now = now or utcnow()
    subject = str(claims.get("sub") or "")
    email = normalise_email(claims.get("email") or "")
    if not subject:
        raise SsoRefused("The provider sent no subject; sign-in refused.", 400)
    if not email or "@" not in email:
        raise SsoRefused(f"{provider.title} did not tell us your email address, so you cannot be signed in here.", 403)
    if claims.get("email_verified") is False:
        raise SsoRefused(f"{provider.title} has not verified your email address {email}.", 403)
    domain = email.rpartition("@")[2]
    if domain not in provider.domains:
        raise SsoRefused(f"{provider.title} does not sign people in for {domain} here.", 403)
    identity = db.session.scalar(
        sa.select(SsoIdentity).where(SsoIdentity.provider == provider.name, SsoIdentity.subject == subject)
    )
    created = False
    user = db.session.get(User, identity.user_id) if identity else None
    if user is None:
        user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        organisation = organisation_for_domain(domain)
        if organisation is None:
            raise SsoRefused(
                f"No organisation here has claimed {domain} yet, so an account cannot be made for you. "
                "Ask for access, or ask your organisation's admin to claim the domain.",
                403,
                action="access",
            )
        user = create_user(
            email, role="participant", password=None, name=str(claims.get("name") or "")[:120], organisation_id=organisation.id
        )
        created = True
    if not user.active:
        raise SsoRefused("This account has been deactivated. Ask your organisation's admin.", 403)
    if identity is None:
        db.session.add(
            SsoIdentity(user_id=user.id, provider=provider.name, subject=subject[:255], created_at=now, last_used_at=now)
        )
    else:
        identity.last_used_at = now
    if provider.staff_claim and user.role != "admin":
        user.role = "staff" if _claim_matches(claims, *provider.staff_claim) else "participant"
    db.session.flush()
    return user, created


def end_session_url(provider_name: str, id_token: str) -> str | None:
    """The provider's own sign-out address (RP-initiated logout), when it publishes one."""
    provider = providers().get(provider_name)
    if provider is None:
        return None
    try:
        oauth_client = client(provider.name)
        if not oauth_client.load_server_metadata().get("end_session_endpoint"):
            return None
        return oauth_client.create_logout_url(
            post_logout_redirect_uri=external_url("accounts.login"),
            id_token_hint=id_token or None,
            client_id=provider.client_id,
        )["url"]
    except Exception:  # the provider is unreachable: the local session has ended all the same
        return None
