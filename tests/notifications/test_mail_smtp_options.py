"""The SMTP options of PORTAL_SMTP_URL, against a real server started in the test with a
certificate made in the test: implicit TLS (smtps://), STARTTLS (?starttls=1), and logging in.
The server's certificate is checked (a server the portal does not trust never sees the password),
and a refused password leaves every mail waiting to be tried again, none lost."""

import asyncio
import datetime
import ipaddress
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from portal.notifications import mail
from portal.notifications.models import Mail, MailStatus
from tests.helpers.smtp import Recorder, free_port

# The implicit-TLS server is built with auth_require_tls=False (see smtp_with_tls), which aiosmtpd
# warns about: its connections are TLS from the first byte all the same.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

USER, PASSWORD = "portal@school.example", "s3cret/p@ss:word"  # smtplib sends ASCII passwords only


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (its key and certificate files): ~10 ms to make."""
    folder = tmp_path_factory.mktemp("smtp-tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test mail server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


class Logins:
    """The server's authenticator: accepts USER with PASSWORD, and remembers every attempt and
    whether it came over TLS."""

    def __init__(self):
        self.attempts = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        encrypted = server.transport.get_extra_info("ssl_object") is not None
        self.attempts.append((login, password, encrypted))
        # handled=False: aiosmtpd answers a refusal itself (535).
        return AuthResult(success=login == USER and password == PASSWORD, handled=False)


@pytest.fixture
def trusted(certificate, monkeypatch):
    """The portal trusts the test's certificate, as it would a private authority (SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


@pytest.fixture
def smtp_with_tls(app, certificate):
    """start(implicit) -> (recorder, logins, port): a server that requires logging in, over TLS
    from the first byte (implicit) or after STARTTLS, which it requires."""
    controllers = []

    def start(implicit: bool):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        recorder, logins, port = Recorder(), Logins(), free_port()
        # aiosmtpd offers AUTH over implicit TLS only when told it need not wait for STARTTLS; the
        # authenticator records that the login came encrypted either way.
        tls = (
            {"ssl_context": context, "auth_require_tls": False}
            if implicit
            else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
        )
        controller = Controller(
            recorder,
            hostname="127.0.0.1",
            port=port,
            authenticator=logins,
            auth_required=True,
            **tls,
        )
        controller.start()
        controllers.append(controller)
        return recorder, logins, port

    yield start
    for controller in controllers:
        controller.stop()
    app.config["PORTAL_SMTP_URL"] = ""
    asyncio.set_event_loop(None)  # aiosmtpd leaves its loop set on this thread


@pytest.fixture
def queued(db):
    """A mail waiting to be sent."""
    waiting = Mail(to_address="parent@example.org", subject="测试邮件", text_body="您好。", html_body="<p>您好。</p>")
    db.session.add(waiting)
    db.session.commit()
    return waiting.id


def mail_row(db, mail_id) -> Mail:
    return db.session.scalar(select(Mail).where(Mail.id == mail_id).execution_options(populate_existing=True))


@pytest.mark.parametrize(
    ("implicit", "url"),
    [
        (True, "smtps://{user}:{password}@127.0.0.1:{port}"),
        (False, "smtp://{user}:{password}@127.0.0.1:{port}?starttls=1"),
    ],
    ids=["smtps", "starttls"],
)
def test_mail_goes_over_tls_after_logging_in(app, db, smtp_with_tls, trusted, queued, run_job, implicit, url):
    recorder, logins, port = smtp_with_tls(implicit)
    quoted = {"user": "portal%40school.example", "password": "s3cret%2Fp%40ss%3Aword"}  # as a URL carries them
    app.config["PORTAL_SMTP_URL"] = url.format(port=port, **quoted)

    run_job(mail.deliver_batch)

    assert [tos for tos, _content in recorder.messages] == [["parent@example.org"]]
    assert logins.attempts == [(USER, PASSWORD, True)]
    assert mail_row(db, queued).status == MailStatus.SENT


def test_a_refused_password_leaves_the_mail_waiting_to_be_tried_again(app, db, smtp_with_tls, trusted, queued, run_job):
    recorder, logins, port = smtp_with_tls(True)
    app.config["PORTAL_SMTP_URL"] = f"smtps://portal%40school.example:wrong@127.0.0.1:{port}"

    run_job(mail.deliver_batch)

    waiting = mail_row(db, queued)
    assert recorder.messages == []
    assert {(login, password) for login, password, _tls in logins.attempts} == {(USER, "wrong")}  # each way it knows
    assert waiting.status == MailStatus.QUEUED and waiting.attempts == 1
    assert "535" in waiting.last_error  # the server's "authentication failed", for the mail page
    assert waiting.next_attempt_at > waiting.created_at  # later, with back-off


def test_a_server_whose_certificate_is_not_trusted_never_sees_the_password(app, db, smtp_with_tls, queued, run_job):
    recorder, logins, port = smtp_with_tls(True)
    app.config["PORTAL_SMTP_URL"] = f"smtps://portal%40school.example:s3cret%2Fp%40ss%3Aword@127.0.0.1:{port}"

    run_job(mail.deliver_batch)

    waiting = mail_row(db, queued)
    assert recorder.messages == [] and logins.attempts == []
    assert waiting.status == MailStatus.QUEUED and "CERTIFICATE_VERIFY_FAILED" in waiting.last_error
