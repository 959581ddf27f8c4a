"""Mail: written when it is queued (in the recipient's language, links from PORTAL_PUBLIC_URL),
stored in the database, sent by a job.

Sending is real SMTP (`PORTAL_SMTP_URL`: smtp://user:pass@host:587?starttls=1, or smtps://...:465)
or, with none configured (the embedded default), each message written as an .eml file into
PORTAL_OUTBOX_DIR (instance/outbox/). A batch goes over one connection. A temporary failure puts
the message back in the queue with a growing delay; a permanent one (the server refuses the
address) marks it failed; a worker that dies while sending leaves it "uncertain", and it is never
sent again by itself (a person would rather miss one mail than get it twice): commission admins
see those and the failed ones and may send them again.
"""

import smtplib
import ssl
import uuid
from contextlib import nullcontext
from datetime import timedelta
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime as rfc2822_date
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app, has_request_context, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update

from portal import audit, jobs
from portal.accounts.models import User
from portal.clock import utcnow
from portal.domain import DomainError, Reason
from portal.extensions import db
from portal.notifications.models import DEFAULT_DELIVERY, Delivery, Kind, Mail, MailStatus, Notification, Preference
from portal.notifications.texts import words
from portal.web import public_url

BATCH = 200
MAX_ATTEMPTS = 8
# A mail to an account that was erased (the goodbye mail) is the one place its address survives
# the erasure: until it is sent; one that could not be delivered, until the commission admins have
# had time to send it again from /oversight/mail.
UNDELIVERED_ADDRESS_KEPT = timedelta(days=30)
STUCK_AFTER = timedelta(minutes=10)
UNSUBSCRIBE_MAX_AGE = 400 * 24 * 3600  # a link in a mail kept for a year still works
SMTP_TIMEOUT_SECONDS = 20


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, ... minutes after each failed attempt, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


# --- unsubscribing without logging in -----------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="portal-unsubscribe")


DIGEST = "digest"  # an unsubscribe link in a digest stops the digest (whatever kinds are in it)


def unsubscribe_token(user_id: int, kind: Kind | None) -> str:
    """The signed part of a mail's unsubscribe link: the person, and the kind of mail it stops
    (None: the daily digest)."""
    return _serializer().dumps({"u": user_id, "k": kind.value if kind is not None else DIGEST})


def read_unsubscribe_token(token: str) -> tuple[int, Kind | None] | None:
    """(user id, kind or None for the digest) of a genuine, unexpired link; None for a forged,
    changed or expired one."""
    try:
        payload = _serializer().loads(token, max_age=UNSUBSCRIBE_MAX_AGE)
        return int(payload["u"]), None if payload["k"] == DIGEST else Kind(payload["k"])
    except (BadSignature, SignatureExpired, KeyError, ValueError, TypeError):
        return None


# --- writing a mail -----------------------------------------------------------------------


def _one_line(text: str, most: int) -> str:
    """A subject on one line (a CR or LF in a title must never start a new header), cut short."""
    line = " ".join(str(text).split())
    return line if len(line) <= most else line[: most - 1] + "…"


def _rendering():
    """Mails are written by jobs, outside any request: templates get a request of their own (on
    the public address), as the pages' context processors expect, with nobody logged in."""
    if has_request_context():
        return nullcontext()
    return current_app.test_request_context("/", base_url=current_app.config["PORTAL_PUBLIC_URL"])


def queue_mail(user, kind: Kind | None, template: str, build, *, notification_id: int | None = None) -> Mail:
    """Write the mail to `user` now, in their language, and queue it (the caller's transaction;
    a job sends it after the commit). See write_mail."""
    mail = write_mail(user, kind, template, build, notification_id=notification_id)
    db.session.add(mail)
    return mail


def write_mail(user, kind: Kind | None, template: str, build, *, notification_id: int | None = None) -> Mail:
    """The mail to `user`, written now in their language (not yet in the session). `kind` is what
    its unsubscribe link stops (None: the digest). `template` names templates/mail/<template>.txt
    and .html; `build()`, called in the recipient's language, gives the subject and what the
    templates show."""
    language = user.language or current_app.config["BABEL_DEFAULT_LOCALE"]
    unsubscribe = public_url("notifications.unsubscribe", token=unsubscribe_token(user.id, kind))
    with _rendering(), force_locale(language):
        context = build()
        subject = _one_line(context.pop("subject"), 200)
        context.update(user=user, unsubscribe_url=unsubscribe, settings_url=public_url("notifications.settings"))
        text = render_template(f"mail/{template}.txt", subject=subject, **context)
        html = render_template(f"mail/{template}.html", subject=subject, lang=language, **context)
    mail = Mail(
        user_id=user.id,
        notification_id=notification_id,
        to_address=user.email,
        subject=subject,
        text_body=text,
        html_body=html,
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    return mail


def queue_message(to_address: str, language: str | None, template: str, build, *, user_id: int | None = None) -> Mail:
    """Write a one-off mail to an address (not a notification: a link to verify an address, to
    reset a password) now, in `language`, queue it in the caller's transaction and have a job
    send it after the commit. No unsubscribe link: the person asked for this very mail.
    `build()`, called in that language, gives the subject and what templates/mail/<template>.txt
    and .html show."""
    language = language or current_app.config["BABEL_DEFAULT_LOCALE"]
    with _rendering(), force_locale(language):
        context = build()
        subject = _one_line(context.pop("subject"), 200)
        text = render_template(f"mail/{template}.txt", subject=subject, **context)
        html = render_template(f"mail/{template}.html", subject=subject, lang=language, **context)
    mail = Mail(user_id=user_id, to_address=to_address, subject=subject, text_body=text, html_body=html, headers={})
    db.session.add(mail)
    jobs.after_commit(db.session, deliver_mails)
    return mail


def message_of(mail: Mail) -> MIMEMultipart:
    """The message as it goes out: plain text with an HTML alternative, no tracking of any kind.
    Built with the email package's classic classes: its newer EmailMessage drops the space between
    two words when it folds a long subject mixing Latin and other letters (“In progress” arrives
    as “Inprogress”); Header encodes the whole subject, spaces included."""
    config = current_app.config
    message = MIMEMultipart("alternative")
    name, address = parseaddr(config["PORTAL_MAIL_FROM"])
    message["From"] = formataddr((name, address), charset="utf-8")
    message["To"] = mail.to_address
    message["Subject"] = Header(_one_line(mail.subject, 300), "utf-8")
    message["Date"] = rfc2822_date(mail.created_at)
    message["Message-ID"] = make_msgid(idstring=f"mail{mail.id}", domain=urlsplit(config["PORTAL_PUBLIC_URL"]).hostname)
    message["Auto-Submitted"] = "auto-generated"
    for header, value in (mail.headers or {}).items():
        message[header] = _one_line(value, 2000)
    message.attach(MIMEText(mail.text_body, "plain", "utf-8"))
    message.attach(MIMEText(mail.html_body, "html", "utf-8"))
    return message


def _notification_mail(notification: Notification):
    def build() -> dict:
        text = words(notification.event, notification.params)
        return {"subject": text, "text": text, "url": public_url(notification.endpoint, **notification.url_args)}

    return build


def still_mailed(notifications) -> set[int]:
    """The ids of those notifications whose person still wants their kind by mail (at once or in
    the digest) now, whatever they wanted when it was written: someone who turned a kind to "in
    the portal only" or "off", or used an unsubscribe link, in between gets no mail of it (one
    query)."""
    people = {notification.user_id for notification in notifications}
    if not people:
        return set()
    chosen = {
        (user_id, kind): delivery
        for user_id, kind, delivery in db.session.execute(
            select(Preference.user_id, Preference.kind, Preference.delivery).where(Preference.user_id.in_(people))
        )
    }
    return {
        notification.id
        for notification in notifications
        if chosen.get((notification.user_id, notification.kind), DEFAULT_DELIVERY[notification.kind])
        in (Delivery.EMAIL, Delivery.DIGEST)
    }


def write_due_mails(limit: int = BATCH) -> int:
    """Write the mails of the notifications people want at once (each in its reader's language),
    up to `limit`; returns how many. The mails are written first, then the notifications claimed
    (mailed_at) and the mails of those claimed saved, in one short transaction: two workers never
    save the same mail (and Mail.notification_id is unique), and on SQLite, where one process
    writes at a time, the web's requests never wait while a batch is being written. A person
    without an address, or whose account is closed, or who no longer wants this kind by mail, is
    told in the portal only. Commits."""
    due = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.delivery == Delivery.EMAIL, Notification.mailed_at.is_(None))
            .order_by(Notification.id)
            .limit(limit)
        )
    )
    if not due:
        db.session.commit()
        return 0
    people = {
        person.id: person for person in db.session.scalars(select(User).where(User.id.in_({n.user_id for n in due})))
    }
    wanted = still_mailed(due)
    mails = [
        write_mail(
            person, notification.kind, "notification", _notification_mail(notification), notification_id=notification.id
        )
        for notification in due
        if (person := people.get(notification.user_id)) is not None
        and person.active
        and person.email
        and notification.id in wanted
    ]
    ids = [notification.id for notification in due]
    db.session.commit()  # the reading ends here: the claim below starts from what is committed now
    claimed = set(
        db.session.scalars(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.mailed_at.is_(None))
            .values(mailed_at=utcnow())
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
    )
    written = [mail for mail in mails if mail.notification_id in claimed]
    db.session.add_all(written)
    db.session.commit()
    return len(written)


# --- sending ------------------------------------------------------------------------------


class Outbox:
    """No mail server configured: each message becomes an .eml file (the embedded default)."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, message: MIMEMultipart, mail: Mail) -> None:
        path = self.folder / f"{mail.created_at:%Y%m%d-%H%M%S}-{mail.id:08d}.eml"
        path.write_bytes(bytes(message))

    def close(self) -> None:
        pass


class Smtp:
    """PORTAL_SMTP_URL: smtp://host:25, smtp://user:pass@host:587?starttls=1, smtps://user:pass@host:465.
    TLS checks the server's certificate and name against the system's trusted authorities
    (SSL_CERT_FILE adds a private one): the password is never sent to whoever answers in between.
    smtplib on its own would not check them."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        secure = parts.scheme == "smtps"
        host, port = parts.hostname or "127.0.0.1", parts.port or (465 if secure else 25)
        options = parse_qs(parts.query)
        trusted = ssl.create_default_context()
        if secure:
            self.connection = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=trusted)
        else:
            self.connection = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if not secure and options.get("starttls", ["0"])[0] in ("1", "true", "yes"):
                self.connection.starttls(context=trusted)
            if parts.username:
                self.connection.login(unquote(parts.username), unquote(parts.password or ""))
        except (OSError, smtplib.SMTPException):
            self.connection.close()
            raise

    def send(self, message: MIMEMultipart, mail: Mail) -> None:
        self.connection.send_message(message)

    def close(self) -> None:
        try:
            self.connection.quit()
        except smtplib.SMTPException:
            pass


def _transport():
    url = current_app.config.get("PORTAL_SMTP_URL")
    return Smtp(url) if url else Outbox(current_app.config["PORTAL_OUTBOX_DIR"])


def _permanent(error: Exception) -> bool:
    """The server refused this message for good (a 5xx about the address or the content)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 500 <= error.smtp_code < 600
    return False


def _requeue(mail: Mail, error: Exception, now, *, about_the_message: bool = True) -> None:
    """A failed attempt: the mail waits and is tried again later, or (too many attempts, or the
    server refused this very message for good) it is marked failed. An error of the connection
    itself (the server down, the portal's password refused) says nothing about the message: it
    waits, however permanent the code, until MAX_ATTEMPTS."""
    mail.last_error = f"{type(error).__name__}: {error}"[:2000]
    if mail.attempts >= MAX_ATTEMPTS or (about_the_message and _permanent(error)):
        mail.status = MailStatus.FAILED
    else:
        mail.status = MailStatus.QUEUED
        mail.next_attempt_at = now + retry_delay(mail.attempts)


def forget_erased_addresses(now=None) -> int:
    """Replace the address of every mail to an erased account that no longer needs it (sent; or
    failed or uncertain for UNDELIVERED_ADDRESS_KEPT) by the account's pseudonymous one, so that
    the erased address is nowhere in the database once its goodbye mail is gone. Returns how many."""
    now = now or utcnow()
    erased = select(User.id).where(User.deleted_at.is_not(None))
    pseudonym = select(User.email).where(User.id == Mail.user_id).scalar_subquery()
    result = db.session.execute(
        update(Mail)
        .where(
            Mail.user_id.in_(erased),
            Mail.to_address != pseudonym,
            (Mail.status == MailStatus.SENT)
            | (
                Mail.status.in_([MailStatus.FAILED, MailStatus.UNCERTAIN])
                & (Mail.created_at <= now - UNDELIVERED_ADDRESS_KEPT)
            ),
        )
        .values(to_address=pseudonym)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def recover_stuck(now=None) -> int:
    """Mails a worker claimed and never finished (it died): uncertain, never sent again by themselves."""
    now = now or utcnow()
    result = db.session.execute(
        update(Mail)
        .where(Mail.status == MailStatus.SENDING, Mail.next_attempt_at < now - STUCK_AFTER)
        .values(status=MailStatus.UNCERTAIN)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def deliver_batch(limit: int = BATCH) -> int:
    """Send up to `limit` queued mails that are due, over one connection; returns how many went.
    Each is claimed (committed as "sending") before it is sent and committed as "sent" right
    after, so a crash never sends one twice. Commits (it runs in a job)."""
    now = utcnow()
    recover_stuck(now)
    due = list(
        db.session.scalars(
            select(Mail.id)
            .where(Mail.status == MailStatus.QUEUED, Mail.next_attempt_at <= now)
            .order_by(Mail.id)
            .limit(limit)
        )
    )
    if not due:
        db.session.commit()
        return 0
    claim = uuid.uuid4().hex
    db.session.execute(
        update(Mail)
        .where(Mail.id.in_(due), Mail.status == MailStatus.QUEUED)
        .values(status=MailStatus.SENDING, claimed_by=claim, attempts=Mail.attempts + 1, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    mails = list(db.session.scalars(select(Mail).where(Mail.claimed_by == claim).order_by(Mail.id)))
    try:
        transport = _transport()
    except (OSError, smtplib.SMTPException) as error:  # the server is down: every one waits and retries
        current_app.logger.warning("mail: cannot reach the mail server: %s", error)
        for mail in mails:
            _requeue(mail, error, utcnow(), about_the_message=False)
        db.session.commit()
        return 0
    # Every message is written while the rows are fresh: the commit after each mail sent expires
    # them, and reading each again would cost a query per mail.
    outgoing = [(mail, mail.id, message_of(mail)) for mail in mails]
    sent = 0
    try:
        for position, (mail, mail_id, message) in enumerate(outgoing):
            try:
                transport.send(message, mail)
            except (OSError, smtplib.SMTPException) as error:
                current_app.logger.warning("mail %s: %s", mail_id, error)
                _requeue(mail, error, utcnow())
                if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
                    for rest, _rest_id, _message in outgoing[position + 1 :]:
                        _requeue(rest, error, utcnow())
                    db.session.commit()
                    return sent
            else:
                db.session.execute(
                    update(Mail)
                    .where(Mail.id == mail_id)
                    .values(status=MailStatus.SENT, sent_at=utcnow(), last_error="")
                    .execution_options(synchronize_session=False)
                )
                sent += 1
            db.session.commit()
    finally:
        transport.close()
    if sent:
        forget_erased_addresses()
        db.session.commit()
    return sent


class MailRefusal(Reason):
    NOT_STUCK = "not_stuck", _l("This mail is not failed or uncertain any more: someone sent it again first.")


def send_again(actor, mail: Mail) -> None:
    """A commission admin sends a failed or uncertain mail again (it is sent by the next batch).
    Refuses with NOT_STUCK for a mail that is queued, sending or sent."""
    if mail.status not in (MailStatus.FAILED, MailStatus.UNCERTAIN):
        raise DomainError(MailRefusal.NOT_STUCK)
    before = mail.status
    mail.status, mail.next_attempt_at, mail.attempts, mail.claimed_by = MailStatus.QUEUED, utcnow(), 0, ""
    db.session.flush()
    audit.record(actor, "mail.send_again", mail, before=before.value, to=mail.to_address)
    jobs.after_commit(db.session, deliver_mails)


def status_counts() -> dict[MailStatus, int]:
    counted = dict(db.session.execute(select(Mail.status, func.count()).group_by(Mail.status)).all())
    return {status: counted.get(status, 0) for status in MailStatus}


def mails_needing_attention(page: int, per_page: int = 50):
    """The failed and uncertain mails, newest first, a page at a time."""
    query = select(Mail).where(Mail.status.in_([MailStatus.FAILED, MailStatus.UNCERTAIN])).order_by(Mail.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def write_and_send() -> None:
    """Write the mails that are due, then send what is queued, a batch at a time."""
    while write_due_mails() == BATCH:
        pass
    while deliver_batch() == BATCH:
        pass
    forget_erased_addresses()  # the undelivered ones whose time is up
    db.session.commit()


@jobs.task()
def deliver_mails() -> None:
    """Enqueued when notifications want a mail at once, or a mail is queued."""
    write_and_send()


@jobs.periodic(jobs.crontab(minute="*"))
def deliver_mails_every_minute() -> None:
    """Retries after a failure come due later, and a job lost with a queue comes back: a minute's
    tick sends them."""
    write_and_send()
