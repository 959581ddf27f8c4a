"""The settings page offers each person the kinds of news they can get: a parent is not asked
about the inbox of schools they do not serve, nor about the moderation queue."""

import pytest

from tests.helpers.pages import ENGLISH, log_in

INBOX = "Feedback to the schools I serve (staff)"
MODERATION = "Consultations and reports waiting for moderators"
DRAFTED = "Approval of the consultations I drafted"
EVERYONE = ["Replies and changes to the feedback I sent", "What moderators decide about my responses"]


@pytest.mark.parametrize(
    ("role", "offered", "not_offered"),
    [
        ("parent", [], [INBOX, MODERATION, DRAFTED]),
        ("board_member", [INBOX, DRAFTED], [MODERATION]),
        ("school_admin", [INBOX, DRAFTED], [MODERATION]),
        ("moderator", [MODERATION, DRAFTED], [INBOX]),
        ("commission_admin", [MODERATION, DRAFTED], [INBOX]),
    ],
)
def test_the_settings_page_offers_the_kinds_of_news_that_concern_the_person(
    client, db, make_user, school, district, city, role, offered, not_offered
):
    scope = {"parent": school, "board_member": school, "school_admin": school, "moderator": district}.get(role, city)
    log_in(client, make_user(role=role, scope=scope))

    page = client.get("/me/notifications/settings", headers=ENGLISH).get_data(as_text=True)

    for label in EVERYONE + offered:
        assert label in page, label
    for label in not_offered:
        assert label not in page, label


def test_a_parent_posting_a_staff_kind_changes_nothing_about_it(client, db, make_user, school):
    from portal.notifications import services
    from portal.notifications.models import Delivery, Kind

    parent = make_user(role="parent", scope=school)
    log_in(client, parent)

    response = client.post("/me/notifications/settings", data={"inbox": "off", "feedback": "portal"})

    assert response.status_code == 303
    chosen = services.preferences_of(parent)
    assert chosen[Kind.FEEDBACK] == Delivery.PORTAL
    assert chosen[Kind.INBOX] == Delivery.EMAIL  # not offered to a parent: left as it was


def test_the_citys_commission_admins_find_the_mail_queue_from_the_oversight_page(client, db, make_user, city, district):
    log_in(client, make_user(role="commission_admin", scope=city))
    assert 'href="/oversight/mail"' in client.get("/oversight").get_data(as_text=True)

    log_in(client, make_user(role="moderator", scope=district))
    assert 'href="/oversight/mail"' not in client.get("/oversight").get_data(as_text=True)
