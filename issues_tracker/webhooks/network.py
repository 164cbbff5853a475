"""Posting to a subscriber's endpoint without letting a subscription reach inside our own network:
the host's every address must be public (no private, loopback, link-local or reserved address),
checked after DNS resolution and again for each redirect, unless WEBHOOK_ALLOW_PRIVATE is set
(tests and development)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

MAX_REDIRECTS = 3
TIMEOUT = (5, 10)  # connect, read (seconds)
REDIRECTS = {301, 302, 303, 307, 308}


class RefusedAddress(ValueError):
    """An address a webhook may not be sent to; the message says why."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def check_url(url: str, *, allow_private: bool) -> None:
    """RefusedAddress unless the URL is one a webhook may be posted to."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RefusedAddress("The address must be a full https:// URL.")
    if parts.scheme != "https" and not allow_private:
        raise RefusedAddress("The address must use https://.")
    if parts.username or parts.password:
        raise RefusedAddress("The address must not hold a user name or password; authenticate by the signature.")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError, ValueError):
        raise RefusedAddress(f"The host {parts.hostname} could not be found.") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global or ip.is_multicast:
            raise RefusedAddress(f"The host {parts.hostname} is on a private, loopback or link-local address.")


def post(url: str, body: str, headers: dict[str, str], *, allow_private: bool) -> Outcome:
    """POST the body (following up to three redirects, each address checked); never raises."""
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            check_url(url, allow_private=allow_private)
            response = requests.post(url, data=body.encode(), headers=headers, timeout=TIMEOUT, allow_redirects=False)
        except RefusedAddress as exc:
            return Outcome(None, str(exc))
        except requests.RequestException as exc:
            return Outcome(None, f"{type(exc).__name__}: could not reach the endpoint")
        response.close()
        location = response.headers.get("Location")
        if response.status_code in REDIRECTS and location:
            url = urljoin(url, location)
            continue
        return Outcome(response.status_code, "" if 200 <= response.status_code < 300 else f"HTTP {response.status_code}")
    return Outcome(None, "Too many redirects")
