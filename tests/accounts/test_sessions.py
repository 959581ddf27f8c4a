"""Sessions that end: each login is a session the server knows (its device, when it started and
was last used, the network it came from); logging out deletes it, so a copied session cookie or
"keep me logged in" cookie opens nothing afterwards. /me/sessions lists them, with "log out this
device" and "log out everywhere"; a password change ends every other one."""

from sqlalchemy import select

from portal.accounts import services
from portal.accounts.models import AccountSession
from portal.audit import AuditEvent
from tests.helpers.pages import ENGLISH, location_path, log_in

PASSWORD = "correct horse battery staple"
PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def log_in_through_the_form(client, email, *, remember=False, agent=PHONE):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, headers={"User-Agent": agent, **ENGLISH})
    assert response.status_code == 303
    return response


def test_a_copied_session_cookie_opens_nothing_after_logout(app, client, db, make_user):
    user = make_user(email="copied@example.org", password=PASSWORD)
    log_in_through_the_form(client, user.email)
    copied = client.get_cookie("session", domain="portal.test").value

    client.post("/logout")

    thief = app.test_client()
    thief.set_cookie("session", copied, domain="portal.test")
    assert thief.get("/me").status_code == 302  # sent to log in
    assert db.session.scalars(select(AccountSession).where(AccountSession.user_id == user.id)).all() == []


def test_a_copied_remember_cookie_opens_nothing_after_logout(app, client, db, make_user):
    user = make_user(email="remembered@example.org", password=PASSWORD)
    log_in_through_the_form(client, user.email, remember=True)
    copied = client.get_cookie("remember_token", domain="portal.test").value

    client.post("/logout")

    thief = app.test_client()
    thief.set_cookie("remember_token", copied, domain="portal.test")
    assert thief.get("/me").status_code == 302


def test_a_remember_cookie_still_works_until_logout(app, client, db, make_user):
    user = make_user(email="kept@example.org", password=PASSWORD)
    log_in_through_the_form(client, user.email, remember=True)
    copied = client.get_cookie("remember_token", domain="portal.test").value

    browser_restarted = app.test_client()
    browser_restarted.set_cookie("remember_token", copied, domain="portal.test")
    assert browser_restarted.get("/me").status_code == 200


def test_the_sessions_page_lists_each_device_and_marks_this_one(app, client, db, make_user):
    user = make_user(email="two-devices@example.org", password=PASSWORD)
    log_in_through_the_form(client, user.email, agent=PHONE)
    log_in_through_the_form(app.test_client(), user.email, agent=DESKTOP, remember=True)

    page = client.get("/me/sessions", headers=ENGLISH).get_data(as_text=True)

    assert "Chrome · Android" in page and "Firefox · Windows" in page
    assert page.count("This device") == 1
    assert "Kept logged in" in page
    assert "127.0.0.x" in page  # the network, not the address


def test_logging_out_another_device_ends_only_that_one(app, client, db, make_user):
    user = make_user(email="lost-phone@example.org", password=PASSWORD)
    log_in_through_the_form(client, user.email, agent=DESKTOP)
    phone = app.test_client()
    log_in_through_the_form(phone, user.email, agent=PHONE)
    phone_session = next(s for s in services.sessions_of(user) if s.device == "Chrome · Android")

    response = client.post(f"/me/sessions/{phone_session.id}/end", headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == "/me/sessions"
    assert phone.get("/me").status_code == 302
    assert client.get("/me").status_code == 200
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.session_end")) is not None


def test_logging_out_this_device_from_the_list_logs_me_out(client, db, make_user):
    user = make_user(email="this-one@example.org", password=PASSWORD)
    log_in_through_the_form(client, user.email)
    (mine,) = services.sessions_of(user)

    response = client.post(f"/me/sessions/{mine.id}/end")

    assert response.status_code == 303 and location_path(response) == "/"
    assert client.get("/me").status_code == 302


def test_log_out_everywhere_ends_every_session_this_one_included(app, client, db, make_user):
    user = make_user(email="everywhere@example.org", password=PASSWORD)
    log_in_through_the_form(client, user.email)
    other = app.test_client()
    log_in_through_the_form(other, user.email, remember=True)

    response = client.post("/me/sessions/end-all")

    assert response.status_code == 303
    assert client.get("/me").status_code == 302
    assert other.get("/me").status_code == 302
    assert services.sessions_of(user) == []


def test_nobody_can_log_out_somebody_elses_device(app, client, db, make_user):
    owner = make_user(email="owner@example.org", password=PASSWORD)
    log_in_through_the_form(app.test_client(), owner.email)
    (theirs,) = services.sessions_of(owner)
    log_in(client, make_user(email="intruder@example.org"))

    response = client.post(f"/me/sessions/{theirs.id}/end")

    assert response.status_code == 404
    assert len(services.sessions_of(owner)) == 1


def test_a_visitor_is_asked_to_log_in_for_the_sessions_page(client, db):
    response = client.get("/me/sessions")

    assert response.status_code == 302 and location_path(response).startswith("/login")


def test_devices_are_described_in_a_few_words_and_networks_not_addresses():
    assert services.describe_device(PHONE) == "Chrome · Android"
    assert services.describe_device(DESKTOP) == "Firefox · Windows"
    assert services.describe_device("Mozilla/5.0 (iPhone) MicroMessenger/8.0") == "WeChat · iPhone"
    assert services.describe_device("") == ""
    assert services.ip_prefix("203.0.113.77") == "203.0.113.x"
    assert services.ip_prefix("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert services.ip_prefix("not an address") == ""


def test_sessions_unused_for_a_month_are_forgotten_and_remembered_ones_last_a_year(app, db, make_user):
    from datetime import timedelta

    from portal.accounts import tasks
    from portal.clock import utcnow

    user = make_user(email="stale@example.org")
    old, remembered_old, fresh = (services.start_session(user, remember=r) for r in (False, True, False))
    now = utcnow()
    for token, seen in ((old, now - timedelta(days=31)), (remembered_old, now - timedelta(days=200))):
        db.session.scalar(select(AccountSession).where(AccountSession.token == token)).last_seen_at = seen
    db.session.flush()

    with app.app_context():  # as the worker runs it
        assert tasks.forget_stale_sessions.call_local() == 1

    assert {s.token for s in services.sessions_of(user)} == {remembered_old, fresh}


def test_using_a_session_now_and_then_records_when_it_was_last_seen(app, db, make_user, monkeypatch):
    from datetime import timedelta

    from portal.clock import utcnow

    user = make_user(email="seen@example.org")
    token = services.start_session(user)
    db.session.commit()
    seen = []
    monkeypatch.setattr(services, "_seen", lambda session_id, now: seen.append(session_id))

    assert services.load_user_for_session(f"{user.id}:{token}") is not None
    assert seen == []  # just now: nothing written
    record = db.session.scalar(select(AccountSession).where(AccountSession.token == token))
    record.last_seen_at = utcnow() - timedelta(minutes=6)
    db.session.commit()

    assert services.load_user_for_session(f"{user.id}:{token}") is not None
    assert seen == [record.id]
    assert services.load_user_for_session(f"{user.id}:not-the-token") is None
