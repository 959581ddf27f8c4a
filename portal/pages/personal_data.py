"""A person's rights over their personal data (PIPL arts. 44–47): a copy of everything the
portal holds about them (/me/data), and erasure of their account (/me/delete).

Both gather every feature's records about one person, so they live with the pages that gather
several features. Services flush and never commit; the export's ZIP is written by a job.
"""

import csv
import io
import json
import secrets
import zipfile
from contextlib import contextmanager, nullcontext
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import String, cast, delete, func, or_, select, update

from portal import audit, events, jobs
from portal.accounts import services as account_services
from portal.accounts.models import (
    DELETED_NAME,
    AccountSession,
    DataExport,
    ExportStatus,
    Membership,
    Role,
    User,
)
from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.consultations.models import Response, ResponseDraft, ResponseState, ResponseVersion
from portal.consultations.responses import count_rejected
from portal.domain import DomainError, Reason
from portal.extensions import db
from portal.feedback.models import Feedback, FeedbackEvent
from portal.meetings.models import BodyMember
from portal.moderation.models import Block, Report
from portal.notifications import mail as mail_service
from portal.notifications.models import Follow, Mail, Notification, Preference
from portal.web import public_url

EXPORT_DAYS = 7
EXPORT_PERIOD = timedelta(days=EXPORT_DAYS)
EXPORT_BATCH = 500
EXPORT_SALT = "portal-data-export"


class PersonalDataRefusal(Reason):
    WRONG_PASSWORD = "wrong_password", _l("Your password is not correct."), "password"
    STAFF_MEMBERSHIP = (
        "staff_membership",
        _l("You still hold a staff role. An administrator must end it before you can delete your account."),
    )
    EXPORT_PREPARING = "export_preparing", _l("A copy of your data is already being prepared.")


def exports_folder() -> Path:
    folder = Path(current_app.config.get("PORTAL_EXPORTS_DIR") or Path(current_app.instance_path) / "exports")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- the copy of one's data ----------------------------------------------------------------


def latest_export(user: User) -> DataExport | None:
    return db.session.scalar(
        select(DataExport).where(DataExport.user_id == user.id).order_by(DataExport.id.desc()).limit(1)
    )


def request_export(user: User, *, ip_address: str | None = None) -> DataExport:
    """Ask for a copy of `user`'s data: a job prepares it after the commit and mails a link.
    Refuses EXPORT_PREPARING while one is being prepared (a second click adds nothing), unless
    that one was lost (DataExport.is_being_prepared)."""
    now = utcnow()
    latest = latest_export(user)
    if latest is not None and latest.is_being_prepared(now):
        raise DomainError(PersonalDataRefusal.EXPORT_PREPARING)
    export = DataExport(user_id=user.id, requested_at=now)
    db.session.add(export)
    db.session.flush()
    audit.record(user, "user.data_export_requested", user, ip_address=ip_address, export_id=export.id)
    jobs.after_commit(db.session, prepare_data_export, export.id)
    return export


def download_token(export: DataExport) -> str:
    return URLSafeTimedSerializer(current_app.secret_key, salt=EXPORT_SALT).dumps({"e": export.id, "u": export.user_id})


def read_download_token(token: str) -> tuple[int, int] | None:
    """(export id, user id) of a genuine link younger than EXPORT_DAYS; None otherwise."""
    try:
        payload = URLSafeTimedSerializer(current_app.secret_key, salt=EXPORT_SALT).loads(
            token, max_age=EXPORT_DAYS * 24 * 3600
        )
        return int(payload["e"]), int(payload["u"])
    except (BadSignature, SignatureExpired, KeyError, ValueError, TypeError):
        return None


def record_download(user: User, export: DataExport, *, ip_address: str | None = None) -> None:
    audit.record(user, "user.data_export_downloaded", user, ip_address=ip_address, export_id=export.id)
    db.session.flush()


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _row(obj, leave_out=()) -> dict:
    return {
        column.key: _plain(getattr(obj, column.key))
        for column in obj.__mapper__.column_attrs
        if column.key not in leave_out
    }


def _sections(user: User):
    """(name, query, columns left out) of everything held about `user`, in the order of the ZIP."""
    mine = User.id == user.id
    about_them = or_(
        AuditEvent.actor_id == user.id, (AuditEvent.object_type == "User") & (AuditEvent.object_id == user.id)
    )
    return [
        # Secrets are not personal data to hand out: the password's hash and session tokens stay.
        ("account", select(User).where(mine), ("password_hash",)),
        ("memberships", select(Membership).where(Membership.user_id == user.id).order_by(Membership.id), ()),
        (
            "sessions",
            select(AccountSession).where(AccountSession.user_id == user.id).order_by(AccountSession.id),
            ("token",),
        ),
        ("responses", select(Response).where(Response.author_id == user.id).order_by(Response.id), ()),
        (
            "response_versions",
            select(ResponseVersion)
            .join(Response, Response.id == ResponseVersion.response_id)
            .where(Response.author_id == user.id)
            .order_by(ResponseVersion.id),
            (),
        ),
        # What they started typing and did not send (kept until the consultation closes).
        (
            "response_drafts",
            select(ResponseDraft).where(ResponseDraft.user_id == user.id).order_by(ResponseDraft.id),
            (),
        ),
        (
            "feedback",
            select(Feedback).where(Feedback.author_id == user.id).order_by(Feedback.id),
            ("submission_token",),
        ),
        (
            "feedback_timeline",
            select(FeedbackEvent)
            .join(Feedback, Feedback.id == FeedbackEvent.feedback_id)
            .where(Feedback.author_id == user.id)
            .order_by(FeedbackEvent.id),
            # Who at the school acted is the school's record, not the sender's personal data.
            ("actor_id",),
        ),
        ("reports", select(Report).where(Report.reporter_id == user.id).order_by(Report.id), ()),
        ("blocks", select(Block).where(Block.user_id == user.id).order_by(Block.id), ()),
        ("follows", select(Follow).where(Follow.user_id == user.id).order_by(Follow.id), ()),
        ("notifications", select(Notification).where(Notification.user_id == user.id).order_by(Notification.id), ()),
        ("notification_preferences", select(Preference).where(Preference.user_id == user.id), ()),
        (
            "mails",
            select(Mail).where(Mail.user_id == user.id).order_by(Mail.id),
            ("html_body", "headers", "claimed_by"),
        ),
        ("audit_events", select(AuditEvent).where(about_them).order_by(AuditEvent.id), ()),
    ]


def _csv_value(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _rows(query, leave_out):
    for obj in db.session.scalars(query.execution_options(yield_per=EXPORT_BATCH)):
        yield _row(obj, leave_out)


def _write_json(archive: zipfile.ZipFile, name: str, rows) -> int:
    count = 0
    with archive.open(f"json/{name}.json", "w") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        text.write("[")
        for row in rows:
            text.write(("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False))
            count += 1
        text.write("\n]\n")
        text.flush()
        text.detach()
    return count


def _write_csv(archive: zipfile.ZipFile, name: str, rows) -> None:
    with archive.open(f"csv/{name}.csv", "w") as raw:
        # A BOM, so that spreadsheet programs open the Chinese text as UTF-8.
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        writer = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(text, fieldnames=list(row))
                writer.writeheader()
            writer.writerow({key: _csv_value(value) for key, value in row.items()})
        text.flush()
        text.detach()


@contextmanager
def _in_language_of(user: User):
    """Words written by a job (no request): in the person's language, as their mails are."""
    language = user.language or current_app.config["BABEL_DEFAULT_LOCALE"]
    outside = nullcontext() if has_request_context() else current_app.test_request_context("/")
    with outside, force_locale(language):
        yield


def write_export(user: User, path: Path) -> int:
    """Write the ZIP of `user`'s data to `path`: for each section a JSON file and a CSV file,
    each written row by row from a batched query (memory stays bounded whatever the person
    wrote), and a README. Returns the file's size."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        contents = []
        for name, query, leave_out in _sections(user):
            count = _write_json(archive, name, _rows(query, leave_out))
            _write_csv(archive, name, _rows(query, leave_out))
            contents.append(f"{name}: {count}")
        with _in_language_of(user):
            readme = "\n".join(
                [
                    _(
                        "Your data held by the school governance portal, as of %(when)s (UTC).",
                        when=utcnow().isoformat(),
                    ),
                    _("Each section is given twice: as JSON (json/) and as CSV for spreadsheets (csv/)."),
                    "",
                    *contents,
                    "",
                ]
            )
        archive.writestr("README.txt", readme)
    return path.stat().st_size


@jobs.task()
def prepare_data_export(export_id: int) -> None:
    """Prepare the ZIP of one export request and mail its link. Runs twice without harm: a
    request no longer being prepared is left alone."""
    export = db.session.get(DataExport, export_id)
    if export is None or export.status != ExportStatus.PREPARING:
        return
    user = db.session.get(User, export.user_id)
    if user is None or user.is_deleted:
        return
    file_name = f"export-{export.id}-{secrets.token_hex(8)}.zip"
    path = exports_folder() / file_name
    try:
        size = write_export(user, path)
    except Exception:
        path.unlink(missing_ok=True)
        db.session.rollback()
        export = db.session.get(DataExport, export_id)
        export.mark_failed()
        _tell_export_failed(db.session.get(User, export.user_id))
        db.session.commit()
        raise
    now = utcnow()
    export.mark_ready(file_name, size, now, now + EXPORT_PERIOD)
    link = _public_download_url(export)

    def build():
        return {
            "subject": _("A copy of your data is ready"),
            "lines": [
                _("The copy of your data you asked for is ready. Download it (logged in as yourself) here:"),
                link,
                _("The link works for %(days)d days; then the file is deleted.", days=EXPORT_DAYS),
            ],
        }

    mail_service.queue_mail(user, None, "personal_data", build)
    jobs.after_commit(db.session, mail_service.deliver_mails)
    db.session.commit()


def _tell_export_failed(user: User) -> None:
    """The person who asked is told, in the portal and by mail (queued with the others, so it
    waits out a mail server that is down), that the copy failed and that they can ask again."""
    events.emit("personal_data.export_failed", user, None)
    url = public_url("pages.my_data")
    contact = current_app.config["PORTAL_PRIVACY_CONTACT"]

    def build():
        return {
            "subject": _("Your copy of your data could not be prepared"),
            "user": user,
            "lines": [
                _("We could not prepare the copy of your data you asked for. Please ask for it again here:"),
                url,
                _("If it fails again, write to us at %(contact)s.", contact=contact),
            ],
        }

    _queue_own_mail(user, user.email, user.language, build)


def _queue_own_mail(user: User, to_address: str, language: str | None, build) -> None:
    # The notifications feature keeps the mail queue: it writes the mail in this transaction and a
    # job sends it after the commit, retrying while the mail server is down.
    events.emit(
        "account.mail_requested",
        user,
        None,
        to_address=to_address,
        language=language,
        template="personal_data",
        build=build,
    )


def _public_download_url(export: DataExport) -> str:
    return public_url("pages.download_data", token=download_token(export))


def export_file(export: DataExport) -> Path:
    return exports_folder() / export.file_name


def forget_expired_exports(now: datetime) -> int:
    """Delete the files and rows of exports past their expiry (and failed ones a week old)."""
    expired = list(
        db.session.scalars(
            select(DataExport).where(
                or_(
                    DataExport.expires_at <= now,
                    (DataExport.status != ExportStatus.READY)
                    & (DataExport.requested_at <= now - timedelta(days=EXPORT_DAYS)),
                )
            )
        )
    )
    for export in expired:
        if export.file_name:
            export_file(export).unlink(missing_ok=True)
        db.session.delete(export)
    db.session.flush()
    return len(expired)


@jobs.periodic(jobs.crontab(minute="41", hour="*"))
def forget_expired_exports_hourly() -> int:
    forgotten = forget_expired_exports(utcnow())
    db.session.commit()
    return forgotten


# --- erasure --------------------------------------------------------------------------------

STAFF_ROLES = frozenset(Role) - {Role.PARENT}


def staff_memberships(user: User) -> list[Membership]:
    return [membership for membership in user.memberships if membership.role in STAFF_ROLES]


def erase_account(user: User, *, password: str, ip_address: str | None = None) -> None:
    """Erase `user`'s personal data (PIPL art. 47). Refuses WRONG_PASSWORD, and STAFF_MEMBERSHIP
    while they hold any role but parent (an administrator ends it first).

    Afterwards their email and name are nowhere in the database: the account row stays with a
    pseudonymous email and the name 已注销用户, so that what they published keeps its author and
    the audit trail its numbers; the password is unusable and every session ended; what only
    concerned them (notifications, follows, preferences, mails, exports, unpublished and unfinished responses,
    reports, parent memberships) is deleted; their feedback stays with the school without
    anything that names them. The goodbye mail to the old address is queued with every other mail
    (it waits out a mail server that is down, and shows on /oversight/mail if it fails); its row is
    the one place the address stays, and only until it is sent (notifications.mail.
    forget_erased_addresses), or 30 days when it cannot be delivered."""
    if not account_services.password_matches(user, password):
        raise DomainError(PersonalDataRefusal.WRONG_PASSWORD)
    staff = staff_memberships(user)
    if staff:
        raise DomainError(PersonalDataRefusal.STAFF_MEMBERSHIP)
    email, name, language = user.email, user.display_name, user.language
    uid = user.id

    # What only concerned them.
    db.session.execute(delete(Mail).where(Mail.user_id == uid))
    db.session.execute(delete(Mail).where(Mail.to_address == email))
    db.session.execute(delete(Notification).where(Notification.user_id == uid))
    db.session.execute(delete(Follow).where(Follow.user_id == uid))
    db.session.execute(delete(ResponseDraft).where(ResponseDraft.user_id == uid))
    db.session.execute(delete(Preference).where(Preference.user_id == uid))
    db.session.execute(delete(AccountSession).where(AccountSession.user_id == uid))
    db.session.execute(delete(Report).where(Report.reporter_id == uid))
    db.session.execute(delete(Membership).where(Membership.user_id == uid))
    for export in db.session.scalars(select(DataExport).where(DataExport.user_id == uid)):
        if export.file_name:
            export_file(export).unlink(missing_ok=True)
        db.session.delete(export)
    # Responses: what was published stays public under 已注销用户; the rest was never public and goes.
    unpublished = select(Response.id).where(Response.author_id == uid, Response.state != ResponseState.PUBLISHED)
    db.session.execute(delete(ResponseVersion).where(ResponseVersion.response_id.in_(unpublished)))
    unpublished_ids = list(db.session.scalars(unpublished))
    if unpublished_ids:
        db.session.execute(delete(Report).where(Report.response_id.in_(unpublished_ids)))
        for response in db.session.scalars(select(Response).where(Response.id.in_(unpublished_ids))):
            if response.state == ResponseState.REJECTED:
                count_rejected(response, -1)  # no longer among its consultation's rejected responses
            db.session.delete(response)
    # A board member with an account keeps their place in the body's record, not the link to it.
    db.session.execute(update(BodyMember).where(BodyMember.user_id == uid).values(user_id=None))
    # Feedback stays with the school, for its record; the sender's name was only ever read
    # through the account, which no longer names anyone.
    db.session.flush()

    user.email = f"deleted-{uid}@invalid"
    user.display_name = DELETED_NAME
    user.password_hash = "!erased"  # not an argon2 hash: no password ever matches it
    user.language = None
    user.active = False
    user.deleted_at = utcnow()
    user.session_token = None
    db.session.flush()
    _scrub_audit_trail(uid, email, name)
    # Mails to others that named them (a school's staff told of their feedback) keep their words
    # with the name replaced, as the pages now show it.
    for column in (Mail.text_body, Mail.html_body, Mail.subject):
        db.session.execute(
            update(Mail)
            .where(column.contains(name, autoescape=True))
            .values({column.key: func.replace(column, name, DELETED_NAME)})
            .execution_options(synchronize_session=False)
        )
    audit.record(user, "user.account_deleted", user, ip_address=ip_address)
    # Written after the erasure, so that nothing above deletes or rewrites it; it names nobody.
    _queue_own_mail(user, email, language, _goodbye_mail)
    db.session.flush()


def _goodbye_mail() -> dict:
    return {
        "subject": _("Your account is deleted"),
        "lines": [
            _("As you asked, your account on the school governance portal is deleted and your personal data erased."),
            _("Responses you published stay on the consultations' pages under the name “Deleted account”."),
            _(
                "If you did not ask for this, write to us at %(contact)s.",
                contact=current_app.config["PORTAL_PRIVACY_CONTACT"],
            ),
        ],
    }


def _scrub_audit_trail(user_id: int, email: str, name: str) -> None:
    """The audit trail keeps who did what by number, never by email or name. The log is
    append-only to the application; erasure is the one change the law requires of it, made on
    the connection (the ORM refuses it), to the data of events that mention the person."""
    connection = db.session.connection()
    table = AuditEvent.__table__
    text = cast(table.c.data, String)
    ascii_name = json.dumps(name)[1:-1]  # how JSON may have stored a Chinese name (\uXXXX)
    needles = {email, name, ascii_name} - {""}
    rows = connection.execute(
        select(table.c.id, table.c.data).where(
            or_(
                table.c.actor_id == user_id,
                (table.c.object_type == "User") & (table.c.object_id == user_id),
                *[text.contains(needle, autoescape=True) for needle in needles],
            )
        )
    ).all()
    for event_id, data in rows:
        scrubbed = _scrub(data or {}, email, name)
        if scrubbed != (data or {}):
            connection.execute(update(table).where(table.c.id == event_id).values(data=scrubbed))


def _scrub(value, email: str, name: str):
    if isinstance(value, dict):
        return {key: _scrub(item, email, name) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, email, name) for item in value]
    if isinstance(value, str):
        if email and email.lower() in value.lower():
            return "[erased]"
        if name and name in value:
            return value.replace(name, DELETED_NAME)
    return value
