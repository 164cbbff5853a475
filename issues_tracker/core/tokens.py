"""Bearer secrets: shown once, stored only as a hash, compared in constant time. A leaked database
or backup gives nobody a secret that works; secrets of 256 random bits need no slow hash.

Feed keys (and any key a program presents) are one random secret, found by its hash
(new_secret). Links sent by email (password resets, invitations, address checks) and one-time
codes (recovery codes) are tokens.

A token is "<selector>.<verifier>": the selector finds the stored row (it is not secret),
the verifier proves the bearer holds the token. Only the verifier's SHA-256 is stored, so a
copy of the database lets nobody use a link, and the comparison takes the same time however
much of the verifier is right.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SELECTOR_BYTES = 9  # 12 characters
VERIFIER_BYTES = 32  # 43 characters
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class NewToken:
    token: str  # what the email carries; never stored
    selector: str
    verifier_hash: str


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> tuple[str, str]:
    """(a random secret to show once, its hash to store and find it by)."""
    secret = secrets.token_urlsafe(32)
    return secret, digest(secret)


def new_token() -> NewToken:
    selector = secrets.token_urlsafe(SELECTOR_BYTES)
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    return NewToken(f"{selector}.{verifier}", selector, digest(verifier))


def split_token(token: str | None) -> tuple[str, str] | None:
    """(selector, verifier) of a well-formed token; None for anything truncated or malformed."""
    if not token or not TOKEN_SHAPE.match(token):
        return None
    selector, verifier = token.split(".")
    return selector, verifier


def verifier_matches(verifier: str, stored_hash: str | None) -> bool:
    return hmac.compare_digest(digest(verifier), stored_hash or "")


def matches_any(value: str, stored_hashes: list[str]) -> int | None:
    """The position of the stored hash the value matches, checking every one (constant time)."""
    found = None
    candidate = digest(value)
    for position, stored in enumerate(stored_hashes):
        if hmac.compare_digest(candidate, stored) and found is None:
            found = position
    return found
