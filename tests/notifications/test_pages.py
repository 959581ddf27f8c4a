"""The person's notification pages as people use them: the list (newest first, unread marked,
older pages, "mark all read", opening one), the count in the header, how they want to be told
(settings), what they follow, and the follow buttons of schools and consultations, with and
without JavaScript. The people and places are built once for the module; each test runs in a
savepoint that is rolled back."""

import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit import AuditEvent
from portal.consultations.models import Phase
from portal.extensions import db as _db
from portal.notifications import services
from portal.notifications.models import Delivery, Follow, Kind, Notification
from tests.helpers import factories
from tests.helpers.consultations import create_consultation
from tests.helpers.pages import ENGLISH, HTMX, field_error, heading, location_path

SCHOOL_NAMES = {"zh": factories.SCHOOL["name_zh"], "en": factories.SCHOOL["name_en"]}


@pytest.fixture(scope="module")
def world(app, module_db):
    """A school with a parent, a second person, an open consultation and a draft one."""
    city = factories.authority(**factories.CITY)
    district = factories.authority(**factories.DISTRICT, parent=city)
    school = factories.school(district, **factories.SCHOOL)
    parent = factories.user(role="parent", scope=school, display_name="家长 张伟", email="parent@example.org")
    stranger = factories.user(display_name="路人 李四", email="stranger@example.org")
    no_email = factories.user(display_name="没有邮箱的人", email="no-email@example.org")
    no_email.email = ""
    module_db.session.commit()
    with app.test_request_context():
        open_consultation = create_consultation(school, Phase.OPEN, title="关于调整课后服务时间的意见征集")
        draft = create_consultation(school, Phase.DRAFT, title="尚未提交的草稿征集")
    return {
        "school_slug": school.slug,
        "school_id": school.id,
        "parent_id": parent.id,
        "stranger_id": stranger.id,
        "no_email_id": no_email.id,
        "open_id": open_consultation.id,
        "draft_id": draft.id,
    }


@pytest.fixture
def db(world, savepoint_db):
    return savepoint_db


@pytest.fixture
def parent(db, world):
    return db.session.get(User, world["parent_id"])


@pytest.fixture
def stranger(db, world):
    return db.session.get(User, world["stranger_id"])


def tell(person_id: int, number: int, *, event="feedback.answered") -> None:
    """A notification to `person_id` about feedback FB-2026-<number>, committed."""
    services.notify(
        [person_id],
        services.Notice(
            Kind.FEEDBACK,
            event,
            "feedback.my_item",
            {"feedback_id": number},
            {"reference": f"FB-2026-{number:06d}", "school": SCHOOL_NAMES, "status": "in_progress"},
        ),
    )
    _db.session.commit()


def references_in(page: str) -> list[str]:
    """The feedback references the page's list of notifications shows, in order."""
    listed = re.search(r'<ol class="notification-list">(.*?)</ol>', page, re.S)
    return re.findall(r"FB-2026-\d{6}", listed.group(1)) if listed else []


def unread_items(page: str) -> int:
    return page.count('class="notification notification-unread"')


def header_badge(page: str) -> str | None:
    """What the header's unread count says, or None when it shows none."""
    match = re.search(r'<span class="count-badge">([^<]*)<', page)
    return match.group(1).strip() if match else None


def stored(user) -> list[Notification]:
    return list(
        _db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
            .execution_options(populate_existing=True)
        )
    )


# --- only for the person logged in --------------------------------------------------------


@pytest.mark.parametrize(
    "address", ["/me/notifications", "/me/notifications/settings", "/me/following", "/me/notifications/1"]
)
def test_a_visitor_is_sent_to_log_in_and_comes_back_afterwards(client, address):
    response = client.get(address)

    assert response.status_code == 302
    assert location_path(response).startswith(f"/login?next={quote(address, safe='')}")


@pytest.mark.parametrize(
    "address",
    ["/me/notifications/read", "/schools/first-school/follow", "/schools/first-school/unfollow"],
)
def test_a_visitor_posting_is_sent_to_log_in_and_nothing_changes(db, client, address):
    response = client.post(address)

    assert response.status_code == 302
    assert location_path(response).startswith("/login")
    assert db.session.scalar(select(func.count()).select_from(Follow)) == 0


# --- the list -----------------------------------------------------------------------------


def test_the_newest_notification_comes_first_and_the_unread_ones_are_marked(db, client, login_as, parent):
    for number in (1, 2, 3):
        tell(parent.id, number)
    services.mark_read(parent, stored(parent)[1])
    db.session.commit()
    login_as(parent)

    page = client.get("/me/notifications", headers=ENGLISH).get_data(as_text=True)

    assert references_in(page) == ["FB-2026-000003", "FB-2026-000002", "FB-2026-000001"]
    assert unread_items(page) == 2
    assert "2 unread notifications." in page
    assert "First Test Primary School answered your feedback FB-2026-000003." in page


def test_a_person_sees_only_their_own_notifications(db, client, login_as, parent, stranger):
    tell(parent.id, 1)
    tell(stranger.id, 2)
    login_as(stranger)

    page = client.get("/me/notifications", headers=ENGLISH).get_data(as_text=True)

    assert references_in(page) == ["FB-2026-000002"]


def test_a_person_with_no_notifications_is_told_what_will_appear_there(db, client, login_as, parent):
    login_as(parent)

    page = client.get("/me/notifications", headers=ENGLISH).get_data(as_text=True)

    assert "Nothing yet." in page and "No unread notifications." in page
    assert "Mark all read" not in page


def test_older_notifications_come_a_page_at_a_time_and_the_last_page_says_so(db, client, login_as, parent):
    for number in range(1, 46):
        tell(parent.id, number)
    login_as(parent)

    first = client.get("/me/notifications", headers=ENGLISH).get_data(as_text=True)
    assert references_in(first) == [f"FB-2026-{n:06d}" for n in range(45, 25, -1)]
    older = re.search(r'href="(/me/notifications\?before=\d+)" rel="next"', first).group(1)

    second = client.get(older, headers=ENGLISH).get_data(as_text=True)
    assert references_in(second) == [f"FB-2026-{n:06d}" for n in range(25, 5, -1)]
    assert "Back to the newest" in second
    last = client.get(re.search(r'href="(/me/notifications\?before=\d+)"', second).group(1), headers=ENGLISH)

    page = last.get_data(as_text=True)
    assert references_in(page) == [f"FB-2026-{n:06d}" for n in range(5, 0, -1)]
    assert 'rel="next"' not in page


def test_a_page_before_the_oldest_notification_says_there_are_no_older_ones(db, client, login_as, parent):
    tell(parent.id, 1)
    login_as(parent)
    oldest = stored(parent)[0].id

    page = client.get(f"/me/notifications?before={oldest}", headers=ENGLISH).get_data(as_text=True)

    assert references_in(page) == []
    assert "No older notifications." in page


@pytest.mark.parametrize("before", ["abc", "-5", "1e3", "９", "99999999999999999999"])
def test_a_page_number_that_is_not_an_id_shows_the_newest_notifications(db, client, login_as, parent, before):
    tell(parent.id, 1)
    login_as(parent)

    response = client.get(f"/me/notifications?before={quote(before)}", headers=ENGLISH)

    assert response.status_code == 200
    assert references_in(response.get_data(as_text=True)) == ["FB-2026-000001"]


def test_mark_all_read_marks_only_the_persons_own_notifications(db, client, login_as, parent, stranger):
    for number in (1, 2):
        tell(parent.id, number)
    tell(stranger.id, 3)
    login_as(parent)

    response = client.post("/me/notifications/read", headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == "/me/notifications"
    assert all(not n.unread for n in stored(parent))
    assert all(n.unread for n in stored(stranger))
    page = client.get("/me/notifications", headers=ENGLISH).get_data(as_text=True)
    assert "All your notifications are marked read." in page
    assert unread_items(page) == 0 and header_badge(page) is None


def test_mark_all_read_with_nothing_unread_changes_nothing_and_says_nothing(db, client, login_as, parent):
    login_as(parent)

    response = client.post("/me/notifications/read", headers=ENGLISH, follow_redirects=True)

    assert response.status_code == 200
    assert "marked read" not in response.get_data(as_text=True)


def test_opening_a_notification_marks_it_read_and_goes_where_it_points(db, client, login_as, parent):
    tell(parent.id, 7)
    tell(parent.id, 8)
    login_as(parent)
    first, second = stored(parent)

    response = client.get(f"/me/notifications/{first.id}")

    assert response.status_code == 303
    assert location_path(response) == "/me/feedback/7"
    assert [n.unread for n in stored(parent)] == [False, True]


def test_opening_a_notification_again_keeps_the_moment_it_was_first_read(db, client, login_as, parent):
    tell(parent.id, 7)
    login_as(parent)
    (item,) = stored(parent)
    client.get(f"/me/notifications/{item.id}")
    first_read = stored(parent)[0].read_at

    client.get(f"/me/notifications/{item.id}")

    assert stored(parent)[0].read_at == first_read


def test_a_notification_whose_page_no_longer_exists_leads_back_to_the_list(db, client, login_as, parent):
    services.notify(
        [parent.id], services.Notice(Kind.SCHOOL_NEWS, "decision.published", "decisions.gone_away", {"x": 1}, {})
    )
    db.session.commit()
    login_as(parent)

    response = client.get(f"/me/notifications/{stored(parent)[0].id}")

    assert response.status_code == 303
    assert location_path(response) == "/me/notifications"


def test_somebody_elses_notification_is_not_found_and_stays_unread(db, client, login_as, parent, stranger):
    tell(parent.id, 1)
    login_as(stranger)
    (theirs,) = stored(parent)

    assert client.get(f"/me/notifications/{theirs.id}").status_code == 404
    assert client.get("/me/notifications/999999999").status_code == 404
    assert stored(parent)[0].unread


# --- the count in the header --------------------------------------------------------------


def test_the_header_shows_how_many_notifications_are_unread_on_every_page(db, client, login_as, parent):
    for number in (1, 2, 3):
        tell(parent.id, number)
    login_as(parent)

    page = client.get("/schools", headers=ENGLISH).get_data(as_text=True)

    assert header_badge(page) == "3"
    assert '<span class="visually-hidden"> unread</span>' in page


def test_the_header_says_99_plus_beyond_99_unread(db, client, login_as, parent):
    services.notify(
        [parent.id], services.Notice(Kind.FEEDBACK, "feedback.answered", "feedback.my_item", {"feedback_id": 1}, {})
    )
    rows = [
        {"user_id": parent.id, "kind": Kind.FEEDBACK, "event": "feedback.answered", "delivery": Delivery.PORTAL}
    ] * 149
    db.session.execute(Notification.__table__.insert(), rows)
    db.session.commit()
    login_as(parent)

    page = client.get("/me/notifications", headers=ENGLISH).get_data(as_text=True)

    assert header_badge(page) == "99+"
    assert "More than 99 unread notifications." in page
    assert services.unread_count(parent) == services.UNREAD_SHOWN_MAX + 1


def test_with_everything_read_the_header_shows_no_count(db, client, login_as, parent):
    tell(parent.id, 1)
    services.mark_all_read(parent, parent)
    db.session.commit()
    login_as(parent)

    page = client.get("/schools", headers=ENGLISH).get_data(as_text=True)

    assert header_badge(page) is None
    assert 'href="/me/notifications"' in page


def test_a_visitor_sees_no_count_and_costs_no_notification_query(db, client, parent, count_queries):
    tell(parent.id, 1)

    with count_queries() as queries:
        page = client.get("/schools", headers=ENGLISH).get_data(as_text=True)

    assert header_badge(page) is None and 'href="/me/notifications"' not in page
    assert not [statement for statement in queries if "notification" in statement]


# --- how I am told ------------------------------------------------------------------------


def checked(page: str, kind: Kind) -> str | None:
    """The delivery the settings page shows chosen for `kind`."""
    for tag in re.findall(rf'<input[^>]*name="{kind.value}"[^>]*>', page):
        if re.search(r"\bchecked\b", tag):
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def test_the_settings_show_the_defaults_until_the_person_chooses(db, client, login_as, parent):
    login_as(parent)

    page = client.get("/me/notifications/settings", headers=ENGLISH).get_data(as_text=True)

    assert heading(page) == "How I am told"
    assert checked(page, Kind.FEEDBACK) == "email"
    assert checked(page, Kind.SCHOOL_NEWS) == "digest"
    assert "Emails go to parent@example.org." in page


def test_saving_the_settings_keeps_each_choice_and_is_audited(db, client, login_as, parent):
    login_as(parent)
    choices = {kind.value: Delivery.PORTAL.value for kind in Kind} | {
        Kind.SCHOOL_NEWS.value: Delivery.EMAIL.value,
        Kind.OUTCOMES.value: Delivery.OFF.value,
    }

    response = client.post("/me/notifications/settings", data=choices, headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == "/me/notifications/settings"
    chosen = services.preferences_of(parent)
    assert chosen[Kind.SCHOOL_NEWS] == Delivery.EMAIL
    assert chosen[Kind.OUTCOMES] == Delivery.OFF
    assert chosen[Kind.FEEDBACK] == Delivery.PORTAL
    page = client.get("/me/notifications/settings", headers=ENGLISH).get_data(as_text=True)
    assert "Your notification settings are saved." in page
    assert checked(page, Kind.SCHOOL_NEWS) == "email" and checked(page, Kind.OUTCOMES) == "off"
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "notifications.preferences")).one()
    assert audit.actor_id == parent.id and audit.object_id == parent.id


def test_saving_the_settings_unchanged_writes_no_audit_record(db, client, login_as, parent):
    login_as(parent)
    current = {kind.value: delivery.value for kind, delivery in services.preferences_of(parent).items()}

    response = client.post("/me/notifications/settings", data=current)

    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("notif%"))) == 0


def test_a_kind_left_out_of_the_posted_settings_keeps_its_choice(db, client, login_as, parent):
    login_as(parent)

    response = client.post("/me/notifications/settings", data={Kind.OUTCOMES.value: Delivery.DIGEST.value})

    assert response.status_code == 303
    chosen = services.preferences_of(parent)
    assert chosen[Kind.OUTCOMES] == Delivery.DIGEST
    assert chosen[Kind.FEEDBACK] == Delivery.EMAIL and chosen[Kind.SCHOOL_NEWS] == Delivery.DIGEST


@pytest.mark.parametrize("bad", ["weekly", "", "<script>alert(1)</script>", "EMAIL"])
def test_a_choice_that_is_not_offered_gets_a_message_beside_it_and_keeps_the_others(db, client, login_as, parent, bad):
    login_as(parent)
    posted = {kind.value: Delivery.PORTAL.value for kind in Kind} | {Kind.FEEDBACK.value: bad}

    response = client.post("/me/notifications/settings", data=posted, headers=ENGLISH)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, Kind.FEEDBACK.value) == "Choose how you want to be told."
    assert field_error(page, Kind.SCHOOL_NEWS.value) is None
    assert checked(page, Kind.SCHOOL_NEWS) == "portal"  # what was posted, not what is saved
    assert "<script>alert(1)</script>" not in page
    assert services.preferences_of(parent)[Kind.SCHOOL_NEWS] == Delivery.DIGEST  # nothing saved


def test_an_account_without_an_email_address_is_told_it_is_told_here_only(db, client, login_as, world):
    login_as(db.session.get(User, world["no_email_id"]))

    page = client.get("/me/notifications/settings", headers=ENGLISH).get_data(as_text=True)

    assert "Your account has no email address: you are told here only." in page
    assert "Emails go to" not in page


# --- following ----------------------------------------------------------------------------


def follows_of(user) -> list[tuple]:
    return [(follow.school_id, follow.consultation_id) for follow in db_follows(user)]


def db_follows(user) -> list[Follow]:
    return list(_db.session.scalars(select(Follow).where(Follow.user_id == user.id).order_by(Follow.id)))


def test_following_a_school_without_javascript_goes_back_to_the_page_it_came_from(db, client, login_as, parent, world):
    login_as(parent)
    slug = world["school_slug"]

    response = client.post(f"/schools/{slug}/follow", data={"next": f"/schools/{slug}?tab=news"}, headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == f"/schools/{slug}?tab=news"
    assert follows_of(parent) == [(world["school_id"], None)]
    page = client.get(f"/schools/{slug}", headers=ENGLISH).get_data(as_text=True)
    assert "You follow First Test Primary School" in page
    assert "Stop following" in page


def test_following_twice_follows_once(db, client, login_as, parent, world):
    login_as(parent)

    client.post(f"/schools/{world['school_slug']}/follow")
    client.post(f"/schools/{world['school_slug']}/follow")

    assert follows_of(parent) == [(world["school_id"], None)]


@pytest.mark.parametrize(
    "next_address", ["https://evil.example/", "//evil.example/schools", "/\\evil.example", "javascript:alert(1)", ""]
)
def test_an_off_site_next_address_is_ignored_and_the_school_page_follows(
    db, client, login_as, parent, world, next_address
):
    login_as(parent)

    response = client.post(f"/schools/{world['school_slug']}/follow", data={"next": next_address})

    assert response.status_code == 303
    assert location_path(response) == f"/schools/{world['school_slug']}"


def test_unfollowing_a_school_without_javascript(db, client, login_as, parent, world):
    login_as(parent)
    slug = world["school_slug"]
    client.post(f"/schools/{slug}/follow")

    response = client.post(f"/schools/{slug}/unfollow", data={"next": f"/schools/{slug}"}, headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == f"/schools/{slug}"
    assert follows_of(parent) == []
    page = client.get(f"/schools/{slug}", headers=ENGLISH).get_data(as_text=True)
    assert "You no longer follow First Test Primary School." in page


def test_with_htmx_following_a_school_answers_with_the_button_alone(db, client, login_as, parent, world):
    login_as(parent)
    slug = world["school_slug"]

    response = client.post(f"/schools/{slug}/follow", headers=ENGLISH | HTMX)

    assert response.status_code == 200
    part = response.get_data(as_text=True)
    assert part.lstrip().startswith('<div class="follow" id="follow">')
    assert "<html" not in part and "<header" not in part
    assert f'hx-post="/schools/{slug}/unfollow"' in part and "Stop following" in part
    assert 'id="follow-button"' in part  # the button htmx gives focus back to
    assert "HX-Request" in response.headers.get("Vary", "")

    unfollowed = client.post(f"/schools/{slug}/unfollow", headers=ENGLISH | HTMX).get_data(as_text=True)
    assert f'hx-post="/schools/{slug}/follow"' in unfollowed and ">Follow</button>" in unfollowed
    assert follows_of(parent) == []


def test_following_a_school_that_does_not_exist_is_not_found(db, client, login_as, parent):
    login_as(parent)

    assert client.post("/schools/no-such-school/follow").status_code == 404
    assert client.post(f"/schools/{'x' * 200}/follow").status_code == 404


def test_following_a_consultation_without_and_with_javascript(db, client, login_as, parent, world):
    login_as(parent)
    address = f"/consultations/{world['open_id']}"

    response = client.post(f"{address}/follow", data={"next": address}, headers=ENGLISH)
    assert response.status_code == 303 and location_path(response) == address
    assert follows_of(parent) == [(None, world["open_id"])]
    page = client.get(address, headers=ENGLISH).get_data(as_text=True)
    assert "You follow this consultation: you will be told of its outcome." in page

    part = client.post(f"{address}/unfollow", headers=ENGLISH | HTMX)
    assert part.status_code == 200
    assert f'hx-post="{address}/follow"' in part.get_data(as_text=True)
    assert follows_of(parent) == []


def test_an_off_site_next_address_after_following_a_consultation_is_ignored(db, client, login_as, parent, world):
    login_as(parent)

    response = client.post(f"/consultations/{world['open_id']}/follow", data={"next": "https://evil.example/"})

    assert location_path(response) == f"/consultations/{world['open_id']}"


def test_a_consultation_the_person_may_not_see_cannot_be_followed(db, client, login_as, parent, world):
    login_as(parent)

    for action in ("follow", "unfollow"):
        assert client.post(f"/consultations/{world['draft_id']}/{action}").status_code == 404
    assert client.post("/consultations/999999999/follow").status_code == 404
    assert follows_of(parent) == []


def test_what_i_follow_lists_schools_and_consultations_and_each_can_be_undone(db, client, login_as, parent, world):
    login_as(parent)
    client.post(f"/schools/{world['school_slug']}/follow")
    client.post(f"/consultations/{world['open_id']}/follow")

    page = client.get("/me/following", headers=ENGLISH).get_data(as_text=True)
    assert "First Test Primary School" in page
    assert "关于调整课后服务时间的意见征集" in page
    stop = re.search(r'action="([^"]*/consultations/\d+/unfollow[^"]*)"', page).group(1).replace("&amp;", "&")

    response = client.post(stop, headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == "/me/following"
    assert follows_of(parent) == [(world["school_id"], None)]
    page = client.get("/me/following", headers=ENGLISH).get_data(as_text=True)
    assert "You no longer follow this consultation." in page
    assert "关于调整课后服务时间的意见征集" not in page


def test_what_i_follow_shows_nobody_elses_follows(db, client, login_as, parent, stranger, world):
    login_as(stranger)
    client.post(f"/schools/{world['school_slug']}/follow")
    login_as(parent)

    page = client.get("/me/following", headers=ENGLISH).get_data(as_text=True)

    assert "You follow nothing yet." in page
    assert "First Test Primary School</a>" not in page


# --- what a page costs, however many notifications there are ------------------------------


def bulk_notifications(user_ids: list[int], count: int) -> None:
    rows = [
        {
            "user_id": user_ids[n % len(user_ids)],
            "kind": Kind.FEEDBACK,
            "event": "feedback.answered",
            "endpoint": "feedback.my_item",
            "url_args": {"feedback_id": n},
            "params": {"reference": f"FB-2026-{n:06d}", "school": SCHOOL_NAMES},
            "delivery": Delivery.PORTAL,
        }
        for n in range(count)
    ]
    _db.session.execute(Notification.__table__.insert(), rows)
    _db.session.commit()


def test_the_notifications_page_and_the_header_count_cost_the_same_queries_with_10_or_2000_notifications(
    db, client, login_as, parent, stranger, count_queries
):
    bulk_notifications([parent.id], 10)
    login_as(parent)

    def queries_of(address: str) -> int:
        client.get(address)  # warm: the session's first load of the person
        with count_queries() as queries:
            assert client.get(address).status_code == 200
        return len(queries)

    few = {address: queries_of(address) for address in ("/me/notifications", "/schools")}
    older = services.notifications_of(parent, limit=5)[-1].id
    few_older = queries_of(f"/me/notifications?before={older}")

    bulk_notifications([parent.id, stranger.id], 1990)
    many = {address: queries_of(address) for address in ("/me/notifications", "/schools")}

    assert many == few
    assert queries_of(f"/me/notifications?before={older}") == few_older
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2000
