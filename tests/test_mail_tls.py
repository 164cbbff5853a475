"""Email over TLS: STARTTLS on the submission port and TLS from the start, each with a login,
against a real SMTP server with a certificate the test makes and trusts."""

from __future__ import annotations

import ssl
import subprocess
from email.message import EmailMessage

import pytest
from aiosmtpd.smtp import AuthResult

from issues_tracker.notifications.mailer import Mailer, TemporaryFailure
from tests.mail import SmtpServer

# The implicit-TLS server offers AUTH without aiosmtpd's own STARTTLS, which it warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

USER, PASSWORD = "relay@example.org", "p:ss@word"
URL_CREDENTIALS = "relay%40example.org:p%3Ass%40word"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture(params=["starttls", "tls"])
def server(request, certificate):
    """A server asking for a login, over STARTTLS or TLS from the start; `logins` lists who tried."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        logins.append(login)
        if (login, password) == (USER, PASSWORD):
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)  # aiosmtpd then answers 535

    # aiosmtpd offers AUTH only after its own STARTTLS; a connection that began in TLS is
    # encrypted all the same, so there it is offered from the start.
    tls = {"ssl_context": context, "auth_require_tls": False} if request.param == "tls" else {
        "tls_context": context, "require_starttls": True, "auth_require_tls": True}
    server = SmtpServer(server_hostname="127.0.0.1", authenticator=authenticate, auth_required=True,
                        auth_exclude_mechanism=["LOGIN"], **tls)
    server.scheme = {"starttls": "smtp+starttls", "tls": "smtps"}[request.param]
    server.logins = logins
    server.start()
    yield server
    server.stop()


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "issues@example.org", "ana@example.org", "Issue IIT-0042 updated"
    message.set_content("The status is now Resolved.")
    return message


def test_mail_goes_through_tls_with_a_login(server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the machine trusts the server's certificate
    with Mailer(f"{server.scheme}://{URL_CREDENTIALS}@127.0.0.1:{server.port}") as mailer:
        assert mailer.send(_message()) == "sent"
    assert server.logins == [USER]  # the percent-encoded name and password were decoded
    assert [item.subject for item in server.received] == ["Issue IIT-0042 updated"]
    assert server.received[0].recipients == ["ana@example.org"]


def test_an_untrusted_certificate_stops_the_mail_before_the_password_is_sent(server, monkeypatch, tmp_path):
    """A temporary failure: the outbox keeps the message and tries again (test_notification_email.py)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-file.pem"))  # nothing trusted
    with Mailer(f"{server.scheme}://{URL_CREDENTIALS}@127.0.0.1:{server.port}") as mailer:
        with pytest.raises(TemporaryFailure, match="cannot reach the mail server"):
            mailer.send(_message())
    assert server.logins == [] and server.received == []  # the password never crossed an unverified link


def test_a_wrong_password_is_a_temporary_failure_not_a_crash(server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with Mailer(f"{server.scheme}://relay%40example.org:wrong@127.0.0.1:{server.port}") as mailer:
        with pytest.raises(TemporaryFailure, match="refused the login"):
            mailer.send(_message())
    assert server.received == []
