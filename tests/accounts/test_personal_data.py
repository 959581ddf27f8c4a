"""A person's rights over their data (PIPL): a copy of everything the portal holds about them,
prepared in the background and downloadable by them alone for a week (/me/data); erasure of the
account with their password (/me/delete), after which their email and name are nowhere in the
database and what they published shows "已注销用户"; the privacy notice and the rules of
participation, in every footer."""

import email
import email.policy
import io
import json
import re
import shutil
import zipfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import itsdangerous
import pytest
from sqlalchemy import JSON, Enum, String, Text, cast, or_, select

from portal.accounts.models import PRIVACY_NOTICE_VERSION, DataExport, ExportStatus, User
from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.consultations.models import Response
from portal.extensions import db as _db
from portal.feedback import services as feedback_services
from portal.feedback.models import Feedback
from portal.moderation import services as moderation_services
from portal.notifications import services as notification_services
from portal.notifications.models import Follow, Mail, Notification
from portal.pages import personal_data
from tests.helpers import factories
from tests.helpers.consultations import create_consultation, respond, someone
from tests.helpers.feedback import token
from tests.helpers.notifications import body_text
from tests.helpers.pages import ENGLISH, field_error, location_path, log_in

PASSWORD = factories.PASSWORD
EMAIL = "li.xiaoming@example.org"
NAME = "李小明家长"


@pytest.fixture(scope="module")
def world(app, module_db):
    """A parent who wrote: a published response shown under their name, a pending one, feedback
    the school answered, a report, a follow, a notification; a board member of the same school."""
    with app.app_context():
        city = factories.authority(**factories.CITY)
        district = factories.authority(**factories.DISTRICT, parent=city)
        school = factories.school(district, **factories.SCHOOL)
        person = factories.user(email=EMAIL, display_name=NAME, role="parent", scope=school)
        staff = factories.user(display_name="王老师", role="board_member", scope=school)
        published_in = create_consultation(school)
        pending_in = create_consultation(school, title="关于校服样式的意见征集")
        published = respond(published_in, person, body="我支持延长到17:30。", show_name=True, publish=True)
        pending = respond(pending_in, person, body="校服太贵了。")
        other = respond(published_in, someone("另一位家长"), body="我反对。", show_name=True, publish=True)
        moderation_services.report_response(person, other, {"reason": "off_topic"})
        item = feedback_services.send_feedback(
            person, school, {"category": "canteen", "body": "午餐是凉的。", "submission_token": token()}
        )
        feedback_services.reply_to_feedback(
            staff, item, {"reply": "已加装保温柜。", "public": False, "mark_answered": True}
        )
        notification_services.follow(person, school=school)
        # A mail the school's staff were sent about the parent's feedback, naming them.
        module_db.session.add(
            Mail(
                user_id=staff.id,
                to_address=staff.email,
                subject=f"{NAME}的意见建议",
                text_body=f"{NAME}：午餐是凉的。",
                html_body=f"<p>{NAME}：午餐是凉的。</p>",
            )
        )
        module_db.session.commit()
        return SimpleNamespace(
            person_id=person.id,
            staff_id=staff.id,
            school_id=school.id,
            published_in=published_in.id,
            published_id=published.id,
            pending_id=pending.id,
            feedback_id=item.id,
            feedback_reference=item.reference,
        )


@pytest.fixture
def outbox(app):
    """outbox() -> the mails written so far, oldest first (the folder starts empty in every test)."""
    folder = Path(app.config["PORTAL_OUTBOX_DIR"])
    shutil.rmtree(folder, ignore_errors=True)

    def read():
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(folder.glob("*.eml"))
        ]

    yield read
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def db(world, savepoint_db):
    return savepoint_db


@pytest.fixture
def person(world, db):
    return db.session.get(User, world.person_id)


def everywhere(db, *needles):
    """[(table, column)] of every text column of every table holding any of `needles` (a JSON
    column also as JSON writes non-ASCII letters, \\uXXXX)."""
    found = []
    forms = {form for needle in needles for form in (needle, json.dumps(needle)[1:-1])}
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text | JSON) or isinstance(column.type, Enum):
                continue
            # As text: a JSON column, and the search index's words (a tsvector on PostgreSQL).
            text = cast(column, Text)
            hits = db.session.scalar(
                select(table.c[column.name])
                .where(or_(*[text.contains(form, autoescape=True) for form in forms]))
                .limit(1)
            )
            if hits is not None:
                found.append(f"{table.name}.{column.name}")
    return found


# --- a copy of one's data --------------------------------------------------------------------


def ask_for_a_copy(client):
    response = client.post("/me/data", headers=ENGLISH)
    assert response.status_code == 303
    return response


def the_link(outbox) -> str:
    (link,) = [found.group(0) for m in outbox() if (found := re.search(r"https?://\S+/me/data/\S+", body_text(m)))]
    return link


def test_a_parent_gets_a_zip_of_their_responses_and_feedback_by_a_mailed_link(client, db, person, outbox, run_jobs):
    log_in(client, person)
    assert 'data-export-state="none"' in client.get("/me/data", headers=ENGLISH).text

    ask_for_a_copy(client)
    assert 'data-export-state="preparing"' in client.get("/me/data", headers=ENGLISH).text
    run_jobs()

    page = client.get("/me/data", headers=ENGLISH).text
    assert 'data-export-state="ready"' in page
    link = the_link(outbox)
    path = "/" + link.split("/", 3)[3]
    download = client.get(path)
    assert download.status_code == 200
    assert download.mimetype == "application/zip"
    assert "no-store" in download.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    download.close()
    names = set(archive.namelist())
    for section in ("account", "memberships", "sessions", "responses", "response_versions", "feedback"):
        assert f"json/{section}.json" in names and f"csv/{section}.csv" in names
    for section in ("feedback_timeline", "reports", "follows", "notifications", "notification_preferences"):
        assert f"json/{section}.json" in names
    assert "json/audit_events.json" in names and "README.txt" in names
    (account,) = json.loads(archive.read("json/account.json"))
    assert account["email"] == EMAIL and account["display_name"] == NAME
    assert "password_hash" not in account
    responses = json.loads(archive.read("json/responses.json"))
    assert {row["body"] for row in responses} == {"我支持延长到17:30。", "校服太贵了。"}
    (feedback,) = json.loads(archive.read("json/feedback.json"))
    assert feedback["body"] == "午餐是凉的。"
    assert "已加装保温柜。" in archive.read("json/feedback_timeline.json").decode()
    assert "午餐是凉的。" in archive.read("csv/feedback.csv").decode("utf-8-sig")
    assert all("token" not in row for row in json.loads(archive.read("json/sessions.json")))
    actions = [event.action for event in db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == person.id))]
    assert "user.data_export_requested" in actions and "user.data_export_downloaded" in actions


def test_asking_twice_while_it_is_prepared_makes_one_copy(client, db, person):
    log_in(client, person)
    ask_for_a_copy(client)
    second = client.post("/me/data", headers=ENGLISH, follow_redirects=True)

    assert "already being prepared" in second.text
    assert len(db.session.scalars(select(DataExport).where(DataExport.user_id == person.id)).all()) == 1


def test_a_copy_lost_while_being_prepared_does_not_block_a_new_one(client, db, person):
    log_in(client, person)
    ask_for_a_copy(client)
    lost = personal_data.latest_export(person)
    lost.requested_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    assert 'data-export-state="failed"' in client.get("/me/data", headers=ENGLISH).text

    ask_for_a_copy(client)

    assert personal_data.latest_export(person).id != lost.id


def test_someone_elses_link_is_not_found(app, client, db, person, world, outbox, run_jobs):
    log_in(client, person)
    ask_for_a_copy(client)
    run_jobs()
    path = "/" + the_link(outbox).split("/", 3)[3]

    log_in(client, db.session.get(User, world.staff_id))
    assert client.get(path).status_code == 404
    client.post("/logout")
    assert location_path(client.get(path)).startswith("/login")


@pytest.mark.parametrize("token_text", ["nonsense", "eyJlIjoxLCJ1IjoxfQ.forged.signature", "../../etc/passwd"])
def test_a_forged_link_is_not_found(client, person, token_text):
    log_in(client, person)
    assert client.get(f"/me/data/{token_text}").status_code == 404


def test_an_expired_copy_is_not_downloaded_and_then_deleted_with_its_file(with_app, client, db, person, run_jobs):
    log_in(client, person)
    ask_for_a_copy(client)
    run_jobs()
    export = personal_data.latest_export(person)
    with with_app():
        path = personal_data.export_file(export)
        token_text = personal_data.download_token(export)
    assert path.is_file()

    export.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/me/data/{token_text}").status_code == 404
    assert 'data-export-state="expired"' in client.get("/me/data", headers=ENGLISH).text

    with with_app():
        assert personal_data.forget_expired_exports(utcnow()) == 1
        db.session.commit()
    assert not path.exists()
    assert personal_data.latest_export(person) is None


def test_a_link_older_than_a_week_is_refused_even_if_the_row_says_otherwise(with_app, person, db, monkeypatch):
    export = DataExport(user_id=person.id, status=ExportStatus.READY)
    db.session.add(export)
    db.session.flush()
    with with_app():
        token_text = personal_data.download_token(export)
        assert personal_data.read_download_token(token_text) == (export.id, person.id)
        signed_at = itsdangerous.TimestampSigner.get_timestamp
        monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: signed_at(self) + 8 * 24 * 3600)
        assert personal_data.read_download_token(token_text) is None


# --- erasure ---------------------------------------------------------------------------------


def test_deleting_erases_the_email_and_name_from_every_table(app, client, db, person, world, outbox, run_jobs):
    log_in(client, person)
    assert everywhere(db, EMAIL, NAME)  # the scan does find them while the account exists

    response = client.post("/me/delete", data={"password": PASSWORD}, headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == "/"
    run_jobs()
    assert everywhere(db, EMAIL, NAME) == []
    erased = db.session.get(User, world.person_id)
    assert erased.email == f"deleted-{erased.id}@invalid" and erased.display_name == "已注销用户"
    assert erased.deleted_at is not None and not erased.active
    (goodbye,) = [message for message in outbox() if message["To"] == EMAIL]
    assert "deleted" in str(goodbye["Subject"]).lower() or "注销" in str(goodbye["Subject"])


def test_after_deleting_the_published_response_shows_deleted_account(client, db, person, world):
    log_in(client, person)
    client.post("/me/delete", data={"password": PASSWORD})

    page = client.get(f"/consultations/{world.published_in}").text
    assert "已注销用户" in page and "我支持延长到17:30。" in page
    assert NAME not in page
    english = client.get(f"/consultations/{world.published_in}", headers=ENGLISH).text
    assert "Deleted account" in english


def test_after_deleting_unpublished_responses_notifications_and_follows_are_gone(client, db, person, world):
    log_in(client, person)
    client.post("/me/delete", data={"password": PASSWORD})

    assert db.session.get(Response, world.pending_id) is None
    assert db.session.get(Response, world.published_id) is not None
    assert db.session.scalars(select(Follow).where(Follow.user_id == world.person_id)).all() == []
    assert db.session.scalars(select(Notification).where(Notification.user_id == world.person_id)).all() == []
    mails = db.session.scalars(select(Mail).where(Mail.user_id == world.person_id)).all()
    assert [mail.subject for mail in mails] == ["您的账号已注销"]  # only the goodbye, waiting to be sent
    feedback = db.session.get(Feedback, world.feedback_id)
    assert feedback.body == "午餐是凉的。"  # the school keeps its record, without a name


def test_after_deleting_the_session_is_over_and_the_password_logs_nobody_in(client, db, person):
    log_in(client, person)
    client.post("/me/delete", data={"password": PASSWORD})

    assert location_path(client.get("/me")).startswith("/login")
    login = client.post("/login", data={"email": EMAIL, "password": PASSWORD}, headers=ENGLISH)
    assert login.status_code == 422


def test_the_audit_trail_keeps_a_number_and_no_email(client, db, person, world):
    log_in(client, person)
    client.post("/login", data={"email": EMAIL, "password": "wrong password typed"})  # audited with the email
    client.post("/me/delete", data={"password": PASSWORD})

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == world.person_id)).all()
    assert "user.account_deleted" in [event.action for event in events]
    assert all(EMAIL not in json.dumps(event.data, ensure_ascii=False) for event in events)


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "Please enter your password to confirm."),
        ({"password": "not my password"}, "Your password is not correct."),
        ({"password": "x" * 500}, "at most 200 characters"),
    ],
)
def test_deleting_without_the_right_password_erases_nothing(client, db, person, world, data, message):
    log_in(client, person)

    response = client.post("/me/delete", data=data, headers=ENGLISH)

    assert response.status_code == 422
    assert message in field_error(response.text, "password")
    assert db.session.get(User, world.person_id).email == EMAIL
    assert client.get("/me").status_code == 200


def test_five_wrong_passwords_lock_deleting_as_they_lock_changing_the_password(client, db, person, rate_limits):
    log_in(client, person)
    for _ in range(5):
        assert client.post("/me/delete", data={"password": "a wrong guess"}).status_code == 422

    locked = client.post("/me/delete", data={"password": PASSWORD}, headers=ENGLISH)

    assert locked.status_code == 429
    assert "locked" in field_error(locked.text, "password")
    assert db.session.get(User, person.id).deleted_at is None
    changing = client.post(
        "/me/password", data={"current_password": PASSWORD, "new_password": "x" * 20, "confirm": "x" * 20}
    )
    assert changing.status_code == 429


def test_staff_cannot_delete_themselves_until_an_admin_ends_the_role(client, db, world):
    staff = db.session.get(User, world.staff_id)
    log_in(client, staff)

    page = client.get("/me/delete", headers=ENGLISH).text
    assert "An administrator must end it" in page and 'action="/me/delete"' not in page
    response = client.post("/me/delete", data={"password": PASSWORD}, headers=ENGLISH)
    assert response.status_code == 409
    assert "An administrator must end it" in response.text
    assert db.session.get(User, world.staff_id).deleted_at is None


def test_the_deleted_accounts_copy_of_data_is_deleted_too(with_app, client, db, person, run_jobs):
    log_in(client, person)
    ask_for_a_copy(client)
    run_jobs()
    with with_app():
        path = personal_data.export_file(personal_data.latest_export(person))

    client.post("/me/delete", data={"password": PASSWORD})

    assert not path.exists()
    assert _db.session.scalars(select(DataExport)).all() == []


# --- the notice and the rules ---------------------------------------------------------------


def test_the_privacy_notice_names_the_rights_the_pages_and_the_contact(app, client):
    page = client.get("/privacy", headers=ENGLISH).text

    for words in ("art. 44", "art. 45", "art. 46", "art. 47", "/me/data", "/me/delete", PRIVACY_NOTICE_VERSION):
        assert words in page
    assert app.config["PORTAL_PRIVACY_CONTACT"] in page


def test_the_rules_show_every_reason_the_moderators_use(client):
    from portal.moderation.models import STANDARD_REASONS

    page = client.get("/terms", headers=ENGLISH).text
    for key, label in STANDARD_REASONS.items():
        assert f'id="reason-{key}"' in page
        assert str(label) in page


def test_every_footer_and_the_registration_form_link_the_notice(client):
    for path in ("/", "/register", "/privacy"):
        page = client.get(path).text
        assert 'href="/privacy"' in page and 'href="/terms"' in page


def test_registration_records_the_notice_accepted(app, client, db):
    from portal.accounts import services as account_services

    with app.app_context():
        link = f"/register/complete/{account_services.registration_token('new.parent@example.org')}"
    response = client.post(
        link,
        data={
            "display_name": "新家长",
            "password": "a long and unusual passphrase",
            "confirm": "a long and unusual passphrase",
        },
    )

    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "new.parent@example.org"))
    assert user.privacy_version == PRIVACY_NOTICE_VERSION
