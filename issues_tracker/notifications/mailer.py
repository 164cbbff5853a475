"""Handing email to an SMTP server named by SMTP_URL.

    smtp://host:port                      plain SMTP (a local relay)
    smtp+starttls://user:pass@host:587    SMTP upgraded with STARTTLS, then login
    smtps://user:pass@host:465            SMTP over TLS from the start

User name and password are percent-decoded, so "@" or ":" in them can be written %40
and %3A. Unset, email is recorded (kept in the instance folder) but not sent.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

SCHEMES = {"smtp": (25, "plain"), "smtp+starttls": (587, "starttls"), "smtps": (465, "tls")}


class SmtpSettingsError(ValueError):
    """SMTP_URL cannot be used; the message says why."""


class TemporaryFailure(Exception):
    """The server could not take the message now (down, busy, 4xx): try again later."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx for this recipient)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # plain | starttls | tls
    username: str = ""
    password: str = ""
    timeout: float = 30.0


def parse_smtp_url(url: str) -> SmtpSettings:
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise SmtpSettingsError(f"use smtp://, smtp+starttls:// or smtps://, not {parts.scheme or 'nothing'}://")
    if not parts.hostname:
        raise SmtpSettingsError("name the mail server, e.g. smtp://127.0.0.1:1025")
    try:
        port = parts.port
    except ValueError:
        raise SmtpSettingsError("the port must be a number from 1 to 65535") from None
    default_port, security = SCHEMES[parts.scheme]
    return SmtpSettings(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


class Mailer:
    """One SMTP connection reused for a batch of messages; reopened once if it drops."""

    def __init__(self, smtp_url: str | None, record_folder: Path | None = None):
        self.settings = parse_smtp_url(smtp_url) if smtp_url else None
        self.record_folder = record_folder
        self.connection: smtplib.SMTP | None = None

    @property
    def sends(self) -> bool:
        return self.settings is not None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        try:
            if settings.security == "tls":
                connection = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                              context=ssl.create_default_context())
            else:
                connection = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            connection.ehlo()
            if settings.security == "starttls":
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if settings.username:
                connection.login(settings.username, settings.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise TemporaryFailure(f"the mail server refused the login ({exc.smtp_code})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"cannot reach the mail server {settings.host}:{settings.port}: {exc}") from None
        return connection

    def send(self, message: EmailMessage) -> str:
        """Send (or record) one message; 'sent' or 'recorded'. Raises Temporary/PermanentFailure."""
        if self.settings is None:
            self._record(message)
            return "recorded"
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = self._connect()
            try:
                refused = self.connection.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                code = min(code for code, _ in exc.recipients.values())
                raise (PermanentFailure if code >= 500 else TemporaryFailure)(
                    f"the mail server refused the recipient ({code})") from None
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code >= 500:
                    raise PermanentFailure(f"the mail server refused the message ({exc.smtp_code})") from None
                self.close()
                raise TemporaryFailure(f"the mail server could not take the message ({exc.smtp_code})") from None
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self.close()
                if attempt == 2:
                    raise TemporaryFailure(f"the connection to the mail server dropped: {exc}") from None
                continue
            if refused:
                raise PermanentFailure("the mail server refused the recipient")
            return "sent"
        raise TemporaryFailure("the mail server did not take the message")  # pragma: no cover

    def _record(self, message: EmailMessage) -> None:
        logger.info("Email not sent (SMTP_URL is not set): to %s, %r", message["To"], message["Subject"])
        if self.record_folder is None:
            return
        self.record_folder.mkdir(parents=True, exist_ok=True)
        name = (message["Message-ID"] or "message").strip("<>").replace("/", "_").replace("@", "_at_")
        (self.record_folder / f"{name}.eml").write_bytes(bytes(message))

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.connection = None
