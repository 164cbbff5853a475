"""Secrets the site must read back (an authenticator's key, an email waiting to go out with a
link in it), stored encrypted with a key derived from SECRET_KEY.

A copy of the database alone reveals none of them. Changing SECRET_KEY makes them unreadable:
authenticators must then be set up again (recovery codes, stored as hashes, still work).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_KEYS: dict[tuple[str, str], Fernet] = {}


class Unreadable(Exception):
    """Sealed with another SECRET_KEY, or not sealed by this site."""


def _fernet(purpose: str) -> Fernet:
    secret = current_app.config["SECRET_KEY"]
    key = (secret, purpose)
    if key not in _KEYS:
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"issues-tracker {purpose}".encode()).derive(
            secret.encode() if isinstance(secret, str) else secret
        )
        _KEYS[key] = Fernet(base64.urlsafe_b64encode(derived))
    return _KEYS[key]


def seal(data: bytes, purpose: str) -> bytes:
    return _fernet(purpose).encrypt(data)


def unseal(sealed: bytes, purpose: str) -> bytes:
    try:
        return _fernet(purpose).decrypt(bytes(sealed))
    except (InvalidToken, TypeError, ValueError):
        raise Unreadable(purpose) from None
