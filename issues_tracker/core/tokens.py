"""Bearer secrets (feed keys, and any token a person or program presents): made at random, shown
once, stored only as their SHA-256. A leaked database or backup gives nobody a key that works;
a secret of 256 random bits needs no slow hash."""

from __future__ import annotations

import hashlib
import secrets


def new_secret() -> tuple[str, str]:
    """(the secret to show once, the hash to store)."""
    secret = secrets.token_urlsafe(32)
    return secret, hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
