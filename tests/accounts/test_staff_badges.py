"""Staff shown as staff: wherever a staff member's name appears, a badge says their role and
school or district, made from their memberships (which no one can type). Loaded for a whole
page in one query."""

import re
from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from portal.accounts import services as account_services
from portal.accounts.models import Role
from portal.consultations.models import Phase
from portal.feedback import services as feedback_services
from portal.meetings import services as meeting_services
from portal.meetings.models import BodyKind, Constituency, Position
from tests.helpers.consultations import create_consultation, respond, someone
from tests.helpers.feedback import token
from tests.helpers.pages import ENGLISH

BOARD_BADGE_EN = "Board member · First Test Primary School"
MODERATOR_BADGE_EN = "Moderator, Test District A"


def badges_in(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r'<span class="staff-badge">(.*?)</span>', page)]


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the badges themselves ----------------------------------------------------------------


def test_board_member_and_moderator_badges_say_role_and_place_in_english(app, db, board_member, moderator):
    badges = account_services.staff_badges([board_member.id, moderator.id])

    with app.test_request_context(), force_locale("en"):
        assert [str(badge) for badge in badges[board_member.id]] == [BOARD_BADGE_EN]
        assert [str(badge) for badge in badges[moderator.id]] == [MODERATOR_BADGE_EN]


def test_badges_name_the_place_in_chinese_on_chinese_pages(app, db, board_member, moderator):
    badges = account_services.staff_badges([board_member.id, moderator.id])

    with app.test_request_context(), force_locale("zh"):
        assert "测试第一小学" in str(badges[board_member.id][0])
        assert "测试甲区教育委员会" in str(badges[moderator.id][0])


def test_parents_and_people_without_a_role_have_no_badge(db, parent):
    person = someone()

    assert account_services.staff_badges([parent.id, person.id, None]) == {}


def test_a_school_admin_who_also_sits_on_the_board_shows_the_higher_role_once(app, db, school, school_admin):
    account_services.grant_membership(None, school_admin, Role.BOARD_MEMBER, school)
    db.session.commit()

    badges = account_services.staff_badges([school_admin.id])[school_admin.id]

    with app.test_request_context(), force_locale("en"):
        assert [str(badge) for badge in badges] == ["School administrator · First Test Primary School"]


def test_someone_staff_in_two_places_has_both_badges_the_school_first(app, db, school, district, make_user):
    person = make_user(role="moderator", scope=district)
    account_services.grant_membership(None, person, Role.BOARD_MEMBER, school)
    db.session.commit()

    with app.test_request_context(), force_locale("en"):
        assert [str(badge) for badge in account_services.staff_badges([person.id])[person.id]] == [
            BOARD_BADGE_EN,
            MODERATOR_BADGE_EN,
        ]


def test_the_badges_of_many_people_take_one_query(db, school, district, make_user, count_queries):
    people = [make_user(role="board_member", scope=school) for _ in range(8)]
    people += [make_user(role="moderator", scope=district) for _ in range(4)]

    with count_queries() as queries:
        badges = account_services.staff_badges(person.id for person in people)

    assert len(badges) == 12
    assert len(queries) == 1


def test_no_people_no_query(db, count_queries):
    with count_queries() as queries:
        assert account_services.staff_badges([]) == {}

    assert queries == []


# --- on the pages -------------------------------------------------------------------------


@pytest.fixture
def consultation(db, school):
    return create_consultation(school, Phase.OPEN)


def test_a_board_member_responding_under_their_name_carries_the_badge(client, consultation, board_member, parent):
    respond(consultation, board_member, body="作为校务委员的个人意见。", show_name=True, publish=True)
    respond(consultation, parent, body="家长的意见。", show_name=True, publish=True)

    page = text(client.get(f"/consultations/{consultation.id}", headers=ENGLISH))

    assert badges_in(page) == [BOARD_BADGE_EN]


def test_a_parent_who_names_themself_like_staff_gets_no_badge(client, consultation):
    pretender = someone("校务委员 · 测试第一小学")
    respond(consultation, pretender, body="冒充的意见。", show_name=True, publish=True)

    page = text(client.get(f"/consultations/{consultation.id}/responses", headers=ENGLISH))

    assert "冒充的意见" in page
    assert badges_in(page) == []


def test_an_anonymous_staff_response_stays_anonymous_to_the_public_and_is_badged_for_moderators(
    client, consultation, board_member, moderator, login_as
):
    respond(consultation, board_member, body="匿名的意见。", show_name=False, publish=True)

    public = text(client.get(f"/consultations/{consultation.id}", headers=ENGLISH))
    login_as(moderator)
    for_moderators = text(client.get(f"/consultations/{consultation.id}", headers=ENGLISH))

    assert badges_in(public) == []
    assert badges_in(for_moderators) == [BOARD_BADGE_EN]


def test_the_moderation_queue_shows_a_staff_authors_badge(client, consultation, board_member, moderator, login_as):
    respond(consultation, board_member, body="待审核的意见。", show_name=True)
    login_as(moderator)

    page = text(client.get("/moderation", headers=ENGLISH))

    assert BOARD_BADGE_EN in badges_in(page)


def test_the_schools_feedback_timeline_shows_who_answered_with_their_badge(
    client, db, school, parent, board_member, login_as
):
    feedback = feedback_services.send_feedback(
        parent, school, {"category": "fees", "body": "收费问题", "private": False, "submission_token": token()}
    )
    feedback_services.reply_to_feedback(board_member, feedback, {"reply": "已答复。", "public": True})
    db.session.commit()

    login_as(board_member)
    staff_page = text(client.get(f"/schools/{school.slug}/manage/feedback/{feedback.id}", headers=ENGLISH))
    login_as(parent)
    senders_page = text(client.get(f"/me/feedback/{feedback.id}", headers=ENGLISH))

    assert "校务委员 刘洋" in staff_page and badges_in(staff_page) == [BOARD_BADGE_EN]
    # The sender hears from "the school", as before: no staff name, so no badge.
    assert "校务委员 刘洋" not in senders_page and badges_in(senders_page) == []


def test_a_body_member_whose_account_is_staff_carries_the_badge_on_the_meeting_and_body_pages(
    client, db, school, board_member, parent
):
    body = meeting_services.create_body(None, school, {"kind": BodyKind.SCHOOL_BOARD, "name": "校务委员会"})
    for name, account in (("刘洋", board_member), ("张伟", parent)):
        meeting_services.add_member(
            None,
            body,
            {
                "name": name,
                "position": Position.MEMBER,
                "constituency": Constituency.TEACHER,
                "term_start": datetime(2024, 9, 1).date(),
                "term_end": None,
                "account_email": account.email,
            },
        )
    meeting = meeting_services.create_meeting(
        None,
        school,
        {"body_id": body.id, "title": "会议", "starts_at": datetime(2026, 3, 2, 7, 30, tzinfo=UTC), "place": "会议室"},
    )
    members = meeting_services.members_for_meeting(meeting)
    meeting_services.record_attendance(None, meeting, {member.id: True for member in members})
    db.session.commit()

    body_page = text(client.get(f"/schools/{school.slug}/bodies/{body.id}", headers=ENGLISH))
    meeting_page = text(client.get(f"/meetings/{meeting.id}", headers=ENGLISH))

    assert badges_in(body_page) == [BOARD_BADGE_EN]
    assert badges_in(meeting_page) == [BOARD_BADGE_EN]


def test_the_audit_log_shows_the_actors_badges(client, db, city, board_member, make_user, login_as, school):
    feedback = feedback_services.send_feedback(
        someone(), school, {"category": "fees", "body": "收费问题", "private": False, "submission_token": token()}
    )
    feedback_services.reply_to_feedback(board_member, feedback, {"reply": "已答复。", "public": False})
    db.session.commit()
    login_as(make_user(role="commission_admin", scope=city))

    page = text(client.get("/audit", headers=ENGLISH))

    assert BOARD_BADGE_EN in badges_in(page)


# --- responsible supervisors ------------------------------------------------------------------

SUPERVISOR_BADGE_EN = "Responsible supervisor, Test District A"


@pytest.fixture
def supervisor(make_user, school):
    return make_user(role="supervisor", scope=school, display_name="责任督学 周敏")


def test_a_supervisors_name_on_the_school_page_carries_the_badge(client, school, supervisor):
    page = text(client.get(f"/schools/{school.slug}", headers=ENGLISH))

    supervisors = page.split('id="supervisors"', 1)[1].split("</section>", 1)[0]
    assert "责任督学 周敏" in supervisors
    assert badges_in(supervisors) == [SUPERVISOR_BADGE_EN]


def test_a_resident_sharing_no_role_gets_no_badge_beside_the_supervisor(client, school, supervisor):
    """Only the membership makes the badge: a parent named like a role shows none (see above)."""
    page = text(client.get(f"/schools/{school.slug}", headers=ENGLISH))

    assert page.count('<span class="staff-badge">') == 1


def test_a_supervisor_of_several_schools_has_one_badge_naming_the_district(
    app, db, school, make_school, supervisor, district
):
    second = make_school(district)
    account_services.grant_membership(None, supervisor, Role.SUPERVISOR, second)
    db.session.commit()

    with app.test_request_context(), force_locale("en"):
        assert [str(badge) for badge in account_services.staff_badges([supervisor.id])[supervisor.id]] == [
            SUPERVISOR_BADGE_EN
        ]
