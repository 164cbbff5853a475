"""Passkeys (WebAuthn, through py_webauthn): registering one from the security page, and signing
in with one instead of a password and a code.

A passkey is bound to the site's address (BASE_URL's host is the relying party, its origin the
only one accepted), so a look-alike site cannot use it: the phishing-resistant option. User
verification (the device's PIN or biometric) is required, so a passkey is two factors in one.
The challenge of each ceremony is kept in the signed session and used once.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ..core.extensions import db
from ..core.models import utcnow
from .models import Passkey, User

RP_NAME = "Industry Issues Tracker"
CHALLENGE_SECONDS = 300
MAX_PASSKEYS = 10


class PasskeyError(ValueError):
    """The passkey ceremony failed; the message says why."""


def relying_party() -> tuple[str, str]:
    """(RP ID, origin), both from BASE_URL, never from the request."""
    base = urlsplit(current_app.config["BASE_URL"])
    return base.hostname or "localhost", f"{base.scheme}://{base.netloc}"


def _challenge_record(challenge: bytes, purpose: str, user_id: int | None) -> dict:
    return {"challenge": bytes_to_base64url(challenge), "purpose": purpose, "user": user_id, "at": int(utcnow().timestamp())}


def take_challenge(stored: dict | None, purpose: str, *, now: datetime | None = None) -> tuple[bytes, int | None]:
    """The challenge a ceremony was started with (once; the caller has removed it from the session)."""
    now_ts = int((now or utcnow()).timestamp())
    if not stored or stored.get("purpose") != purpose or now_ts - int(stored.get("at", 0)) > CHALLENGE_SECONDS:
        raise PasskeyError("That took too long or was started elsewhere. Try again.")
    return base64url_to_bytes(stored["challenge"]), stored.get("user")


def registration_options(user: User) -> tuple[str, dict]:
    """(options as JSON for navigator.credentials.create, the record to keep in the session)."""
    rp_id, _ = relying_party()
    existing = db.session.scalars(sa.select(Passkey.credential_id).where(Passkey.user_id == user.id)).all()
    if len(existing) >= MAX_PASSKEYS:
        raise PasskeyError(f"You have {MAX_PASSKEYS} passkeys already. Remove one before adding another.")
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_name=user.email,
        user_id=str(user.id).encode(),
        user_display_name=user.display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(cid)) for cid in existing],
    )
    return options_to_json(options), _challenge_record(options.challenge, "register", user.id)


def register(user: User, credential_json: str, challenge: bytes, name: str = "", *, now: datetime | None = None) -> Passkey:
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential_json,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(f"The passkey could not be registered: {exc}") from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(sa.select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise PasskeyError("That passkey is registered already.")
    try:
        transports = ",".join(json.loads(credential_json).get("response", {}).get("transports", []) or [])[:100]
    except (ValueError, AttributeError):
        transports = ""
    passkey = Passkey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        name=(name or "").strip()[:60] or "Passkey",
        created_at=now or utcnow(),
    )
    db.session.add(passkey)
    db.session.flush()
    return passkey


def authentication_options(user: User | None = None) -> tuple[str, dict]:
    """Options for navigator.credentials.get: any passkey of this site (a discoverable sign-in),
    or the given account's."""
    rp_id, _ = relying_party()
    allow = None
    if user is not None:
        ids = db.session.scalars(sa.select(Passkey.credential_id).where(Passkey.user_id == user.id)).all()
        allow = [PublicKeyCredentialDescriptor(id=base64url_to_bytes(cid)) for cid in ids]
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED,
        challenge=secrets.token_bytes(32),
    )
    return options_to_json(options), _challenge_record(options.challenge, "authenticate", user.id if user else None)


def authenticate(
    credential_json: str, challenge: bytes, expected_user_id: int | None = None, *, now: datetime | None = None
) -> User:
    """The active account whose passkey signed the challenge; PasskeyError otherwise."""
    rp_id, origin = relying_party()
    try:
        credential_id = json.loads(credential_json)["id"]
    except (ValueError, KeyError, TypeError):
        raise PasskeyError("The passkey's answer was not understood. Try again.") from None
    passkey = db.session.scalar(sa.select(Passkey).where(Passkey.credential_id == str(credential_id)[:1400]))
    if passkey is None:
        raise PasskeyError("That passkey is not registered here. Sign in with your password, then add it.")
    if expected_user_id is not None and passkey.user_id != expected_user_id:
        raise PasskeyError("That passkey belongs to another account.")
    try:
        verified = verify_authentication_response(
            credential=credential_json,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        raise PasskeyError("The passkey's answer could not be verified. Try again.") from None
    user = db.session.get(User, passkey.user_id)
    if user is None or not user.active:
        raise PasskeyError("That account cannot sign in.")
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = now or utcnow()
    db.session.flush()
    return user


def passkeys_of(user: User) -> list[Passkey]:
    return db.session.scalars(sa.select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at)).all()


def remove(user: User, passkey_id: int) -> Passkey | None:
    passkey = db.session.scalar(sa.select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id))
    if passkey is not None:
        db.session.delete(passkey)
        db.session.flush()
    return passkey
