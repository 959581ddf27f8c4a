"""A school administrator keeps the school's governing bodies and who sits on them."""

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.meetings.models import BodyMember, GoverningBody
from tests.helpers.pages import ENGLISH, field_error, field_value, location_path


def bodies_url(school):
    return f"/schools/{school.slug}/manage/bodies"


def body_url(school, body):
    return f"/schools/{school.slug}/manage/bodies/{body.id}"


def new_member_url(school, body):
    return f"{body_url(school, body)}/members/new"


def member_url(school, body, member):
    return f"{body_url(school, body)}/members/{member.id}"


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


MEMBER = {
    "name": "陈志强",
    "position": "member",
    "constituency": "community",
    "term_start": "2024-09-01",
    "term_end": "2027-08-31",
    "account_email": "",
}


# Bodies


def test_school_admin_adds_a_body_and_is_taken_to_it(client, db, school, school_admin, login_as):
    login_as(school_admin)

    response = client.post(
        bodies_url(school),
        data={"kind": "parents_committee", "name": "家长委员会", "description": "由各年级家长推选产生。"},
    )

    body = db.session.scalar(select(GoverningBody).where(GoverningBody.school_id == school.id))
    assert response.status_code == 303
    assert location_path(response) == body_url(school, body)
    assert (body.kind.value, body.name, body.description) == (
        "parents_committee",
        "家长委员会",
        "由各年级家长推选产生。",
    )
    (event,) = events(db, "body.create")
    assert (event.actor_id, event.object_id, event.school_id) == (school_admin.id, body.id, school.id)


def test_body_needs_a_kind_and_a_name(client, db, school, school_admin, login_as):
    login_as(school_admin)

    response = client.post(bodies_url(school), data={"kind": "", "name": "  ", "description": "说明"}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "kind") == "Please choose what kind of body this is."
    assert field_error(page, "name") == "Please enter the body's name."
    assert "说明" in page  # what was typed stays
    assert count(db, GoverningBody) == 0


def test_forged_kind_of_body_is_refused_with_a_message(client, db, school, school_admin, login_as):
    login_as(school_admin)

    response = client.post(bodies_url(school), data={"kind": "secret_society", "name": "某委员会"}, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "kind") == "Please choose what kind of body this is."
    assert count(db, GoverningBody) == 0


def test_overlong_body_name_is_refused_and_kept(client, db, school, school_admin, login_as):
    login_as(school_admin)
    name = "委" * 121

    response = client.post(bodies_url(school), data={"kind": "other", "name": name}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "name") == "This has 121 characters; it can have at most 120."
    assert field_value(page, "name") == name
    assert count(db, GoverningBody) == 0


def test_school_admin_renames_a_body_and_the_change_is_audited(client, db, school, board, school_admin, login_as):
    login_as(school_admin)

    response = client.post(
        body_url(school, board), data={"kind": "school_board", "name": "学校校务委员会", "description": ""}
    )

    assert response.status_code == 303
    assert db.session.get(GoverningBody, board.id).name == "学校校务委员会"
    (event,) = events(db, "body.update")
    assert event.data["changes"]["name"] == {"before": "校务委员会", "after": "学校校务委员会"}
    assert event.school_id == school.id


def test_body_management_page_lists_current_future_and_former_members(
    client, school, board, school_admin, make_member, login_as
):
    make_member(board, "新委员", term_start=date(2099, 9, 1), term_end=None)
    login_as(school_admin)

    page = client.get(body_url(school, board), headers=ENGLISH).get_data(as_text=True)

    current = page[page.index('id="current-heading"') : page.index('id="future-heading"')]
    future = page[page.index('id="future-heading"') : page.index('id="former-heading"')]
    former = page[page.index('id="former-heading"') : page.index('id="details-heading"')]
    assert "周建华" in current and "新委员" in future and "赵雪梅" in former


# Members


def test_school_admin_adds_a_member(client, db, school, board, school_admin, login_as):
    login_as(school_admin)

    response = client.post(new_member_url(school, board), data=MEMBER)

    assert response.status_code == 303
    assert location_path(response) == body_url(school, board)
    member = db.session.scalar(select(BodyMember).where(BodyMember.name == "陈志强"))
    assert (member.position.value, member.constituency.value) == ("member", "community")
    assert (member.term_start, member.term_end, member.user_id) == (date(2024, 9, 1), date(2027, 8, 31), None)
    (event,) = [e for e in events(db, "member.add") if e.object_id == member.id]
    assert (event.actor_id, event.school_id, event.data["body_id"]) == (school_admin.id, school.id, board.id)


def test_member_can_be_linked_to_their_account_by_email(client, db, school, board, school_admin, parent, login_as):
    login_as(school_admin)

    client.post(new_member_url(school, board), data={**MEMBER, "account_email": parent.email.upper()})

    member = db.session.scalar(select(BodyMember).where(BodyMember.name == "陈志强"))
    assert member.user_id == parent.id


def test_linking_an_unknown_account_is_refused_beside_the_field(client, db, school, board, school_admin, login_as):
    login_as(school_admin)
    before = count(db, BodyMember)

    response = client.post(
        new_member_url(school, board), data={**MEMBER, "account_email": "nobody@example.org"}, headers=ENGLISH
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "No portal account has this email address." in field_error(page, "account_email")
    assert field_value(page, "account_email") == "nobody@example.org"
    assert count(db, BodyMember) == before


def test_term_that_ends_before_it_starts_is_refused(client, db, school, board, school_admin, login_as):
    login_as(school_admin)
    before = count(db, BodyMember)

    response = client.post(
        new_member_url(school, board),
        data={**MEMBER, "term_start": "2026-09-01", "term_end": "2026-08-31"},
        headers=ENGLISH,
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "term_end") == "The term cannot end before it starts."
    assert field_value(page, "term_start") == "2026-09-01"
    assert field_value(page, "term_end") == "2026-08-31"
    assert field_value(page, "name") == "陈志强"
    assert count(db, BodyMember) == before
    assert not events(db, "member.add")[4:]  # only the four of the fixture


@pytest.mark.parametrize("name", ["周建华", " 周建华 "])
def test_same_person_cannot_hold_two_seats_in_a_body_at_once(client, db, school, board, school_admin, login_as, name):
    login_as(school_admin)
    before = count(db, BodyMember)

    response = client.post(
        new_member_url(school, board),
        data={**MEMBER, "name": name, "position": "secretary", "term_start": "2026-01-01", "term_end": ""},
        headers=ENGLISH,
    )

    assert response.status_code == 422
    assert "already holds a seat in this body" in field_error(response.get_data(as_text=True), "name")
    assert count(db, BodyMember) == before


def test_same_account_cannot_hold_two_seats_in_a_body_at_once(
    client, db, school, board, school_admin, parent, make_member, login_as
):
    make_member(board, "张伟", account_email=parent.email)
    login_as(school_admin)

    response = client.post(
        new_member_url(school, board),
        data={**MEMBER, "name": "张伟（家长）", "account_email": parent.email},
        headers=ENGLISH,
    )

    assert response.status_code == 422
    assert "already holds a seat in this body" in field_error(response.get_data(as_text=True), "name")


def test_former_member_can_take_a_new_seat_after_their_term(client, db, school, board, school_admin, login_as):
    login_as(school_admin)

    response = client.post(
        new_member_url(school, board), data={**MEMBER, "name": "赵雪梅", "term_start": "2025-09-01", "term_end": ""}
    )

    assert response.status_code == 303
    assert count(db, BodyMember, BodyMember.name == "赵雪梅") == 2


def test_same_name_may_sit_on_two_different_bodies(client, db, school, board, school_admin, make_body, login_as):
    committee = make_body(school, name="家长委员会")
    login_as(school_admin)

    response = client.post(new_member_url(school, committee), data={**MEMBER, "name": "周建华"})

    assert response.status_code == 303


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("term_start", "2026-02-30", "Enter a date such as 2026-09-01."),
        ("term_start", "next monday", "Enter a date such as 2026-09-01."),
        ("term_start", "", "Please enter the day the term starts."),
        ("term_end", "20260901", "Enter a date such as 2026-09-01."),
        ("term_end", "12026-09-01", "Enter a date such as 2026-09-01."),
        ("term_start", "1066-10-14", "Enter a date between the years 1990 and 2100."),
        ("name", "名" * 61, "This has 61 characters; it can have at most 60."),
        ("name", "", "Please enter the member's name."),
        ("position", "emperor", "Please choose the member's position."),
        ("constituency", "", "Please choose whom the member represents."),
        ("account_email", "a" * 250 + "@x.org", "This has 256 characters; it can have at most 254."),
    ],
)
def test_bad_member_details_are_refused_beside_the_field(
    client, db, school, board, school_admin, login_as, field, value, message
):
    login_as(school_admin)
    before = count(db, BodyMember)

    response = client.post(new_member_url(school, board), data={**MEMBER, field: value}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, field) == message
    if field not in ("position", "constituency"):
        assert field_value(page, field) == value
    assert count(db, BodyMember) == before


def test_school_admin_corrects_a_member_and_the_change_is_audited(client, db, school, board, school_admin, login_as):
    member = next(m for m in board.members if m.name == "李秀英")
    login_as(school_admin)

    form = client.get(member_url(school, board, member)).get_data(as_text=True)
    assert field_value(form, "name") == member.name
    assert field_value(form, "term_start") == "2024-09-01"

    response = client.post(
        member_url(school, board, member), data={**MEMBER, "name": member.name, "position": "vice_chair"}
    )

    assert response.status_code == 303
    assert db.session.get(BodyMember, member.id).position.value == "vice_chair"
    (event,) = events(db, "member.update")
    assert event.data["changes"]["position"] == {"before": "member", "after": "vice_chair"}
    assert event.school_id == school.id


def test_correcting_a_member_keeps_the_rule_of_one_seat_at_a_time(client, db, school, board, school_admin, login_as):
    member = next(m for m in board.members if m.name == "李秀英")
    login_as(school_admin)

    response = client.post(member_url(school, board, member), data={**MEMBER, "name": "周建华"}, headers=ENGLISH)

    assert response.status_code == 422
    assert db.session.get(BodyMember, member.id).name != "周建华"


def test_ending_a_term_keeps_the_member_as_history(client, db, school, board, school_admin, login_as):
    member = next(m for m in board.members if m.name == "李秀英")
    login_as(school_admin)

    response = client.post(f"{member_url(school, board, member)}/end-term", data={"last_day": "2026-01-31"})

    assert response.status_code == 303
    assert db.session.get(BodyMember, member.id).term_end == date(2026, 1, 31)
    (event,) = events(db, "member.end_term")
    assert event.data == {"body_id": board.id, "before": "2027-08-31", "after": "2026-01-31"}
    assert event.school_id == school.id
    page = client.get(f"/schools/{school.slug}/bodies/{board.id}?former=1").get_data(as_text=True)
    assert member.name in page[page.index('id="former-heading"') :]


def test_ending_a_term_before_it_started_is_refused(client, db, school, board, school_admin, login_as):
    member = next(m for m in board.members if m.name == "李秀英")
    login_as(school_admin)

    response = client.post(
        f"{member_url(school, board, member)}/end-term", data={"last_day": "2020-01-01"}, headers=ENGLISH
    )

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "last_day") == "The term cannot end before it starts."
    assert db.session.get(BodyMember, member.id).term_end == date(2027, 8, 31)


def test_ending_a_term_after_its_end_is_refused_and_does_not_lengthen_it(
    client, db, school, board, school_admin, login_as
):
    member = next(m for m in board.members if m.name == "李秀英")  # serves until 2027-08-31
    login_as(school_admin)

    response = client.post(
        f"{member_url(school, board, member)}/end-term", data={"last_day": "2030-01-01"}, headers=ENGLISH
    )

    assert response.status_code == 422
    assert "Ending a term can only bring its last day closer" in field_error(response.text, "last_day")
    assert 'value="2030-01-01"' in response.text  # what was typed stays
    assert db.session.get(BodyMember, member.id).term_end == date(2027, 8, 31)
    assert not events(db, "member.end_term")


# Who may


def test_board_member_may_not_manage_bodies(client, school, board, board_member, login_as):
    login_as(board_member)

    assert client.get(bodies_url(school)).status_code == 403
    assert client.post(new_member_url(school, board), data=MEMBER).status_code == 403


def test_visitor_is_asked_to_log_in(client, school, board):
    response = client.get(body_url(school, board))

    assert response.status_code == 302
    assert location_path(response).startswith("/login?next=")


def test_body_and_member_of_another_school_are_not_found_under_this_school(
    client, db, school, other_school, board, school_admin, make_body, make_member, login_as
):
    theirs = make_body(other_school)
    their_member = make_member(theirs, "别校委员")
    login_as(school_admin)

    assert client.get(body_url(school, theirs)).status_code == 404
    assert client.post(new_member_url(school, theirs), data=MEMBER).status_code == 404
    assert client.get(f"{body_url(school, board)}/members/{their_member.id}").status_code == 404
    assert (
        client.post(
            f"{body_url(school, board)}/members/{their_member.id}/end-term", data={"last_day": "2026-01-01"}
        ).status_code
        == 404
    )
    assert count(db, BodyMember, BodyMember.body_id == theirs.id) == 1


def test_only_a_member_still_serving_can_have_their_term_ended(client, school, board, school_admin, login_as):
    serving = next(m for m in board.members if m.name == "李秀英")
    former = next(m for m in board.members if m.name == "赵雪梅")
    login_as(school_admin)

    assert "/end-term" in client.get(member_url(school, board, serving)).get_data(as_text=True)
    assert "/end-term" not in client.get(member_url(school, board, former)).get_data(as_text=True)
