"""Helpers of the identity tests: links in received email, the notifications worker's round."""

from __future__ import annotations

import re

from issues_tracker.notifications.delivery import deliver_pending
from tests.conftest import BASE_URL


def deliver(smtp, count: int):
    """Run the worker's delivery round, then wait for `count` messages in all at the SMTP server."""
    deliver_pending()
    return smtp.wait_for(count)


def link_in(mail, path_start: str) -> str:
    """The path (under BASE_URL) of the first link in the email's text that starts with path_start."""
    match = re.search(re.escape(BASE_URL + path_start) + r"[^\s<>\"]*", mail.text)
    assert match, mail.text
    return match.group(0)[len(BASE_URL):]


def last_to(smtp, email: str):
    found = smtp.to(email)
    assert found, f"no email to {email}: {[m.recipients for m in smtp.received]}"
    return found[-1]
