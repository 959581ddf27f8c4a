"""The school's list of its consultations by phase, submitting a draft for approval, and closing
an open consultation early."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.consultations import services
from portal.consultations.models import Consultation, ConsultationStatus, Phase
from tests.helpers.pages import ENGLISH, field_error, location_path


def list_url(school):
    return f"/schools/{school.slug}/manage/consultations"


def fresh(db, consultation) -> Consultation:
    db.session.remove()
    return db.session.get(Consultation, consultation.id)


def events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


# The list


def test_the_list_shows_each_consultation_under_its_phase(
    client, db, school, make_consultation, moderator, school_admin, login_as
):
    make_consultation(Phase.DRAFT, title="草稿甲")
    sent_back = make_consultation(Phase.SUBMITTED, title="退回乙")
    services.send_back(moderator, sent_back, "请补充预算说明。")
    db.session.commit()
    make_consultation(Phase.SUBMITTED, title="待审丙")
    make_consultation(Phase.OPEN, title="进行丁")
    make_consultation(Phase.SCHEDULED, title="将开戊")
    make_consultation(Phase.CLOSED, title="结束己")
    login_as(school_admin)

    page = client.get(list_url(school), headers=ENGLISH).text

    sections = [
        "Sent back by the moderators",
        "Drafts",
        "Awaiting approval",
        "Open, or opening soon",
        "Closed: the outcome is to be written",
    ]
    titles = ["退回乙", "草稿甲", "待审丙", "进行丁", "结束己"]
    positions = [page.index(text) for pair in zip(sections, titles, strict=True) for text in pair]
    assert positions == sorted(positions)
    assert "请补充预算说明。" in page and "将开戊" in page
    assert "Draft a consultation" in page


def test_consultations_whose_outcome_is_overdue_are_highlighted(
    client, db, make_consultation, school, school_admin, login_as
):
    overdue = make_consultation(
        Phase.CLOSED, title="逾期庚", opens_at=utcnow() - timedelta(days=80), closes_at=utcnow() - timedelta(days=45)
    )
    make_consultation(Phase.CLOSED, title="刚结束辛")  # closed 10 days ago
    login_as(school_admin)

    page = client.get(list_url(school), headers=ENGLISH).text

    assert "1 consultation closed more than 30 days ago and still has no outcome." in page
    assert f'<li id="consultation-{overdue.id}" class="overdue-item">' in page
    assert page.count("Outcome overdue") == 1
    assert page.index("逾期庚") < page.index("刚结束辛")  # the longest closed first


def test_board_member_sees_the_list_and_a_link_to_write_the_outcome_but_cannot_draft(
    client, make_consultation, school, board_member, login_as
):
    draft = make_consultation(Phase.DRAFT, title="草稿甲")
    closed = make_consultation(Phase.CLOSED)
    login_as(board_member)

    page = client.get(list_url(school), headers=ENGLISH).text

    assert "Draft a consultation" not in page
    assert f"/manage/consultations/{closed.id}/outcome" in page
    assert f'href="/manage/consultations/{draft.id}"' not in page  # a draft is the admins' to open


def test_the_list_of_another_school_does_not_exist_for_its_admin(client, school, make_user, other_school, login_as):
    login_as(make_user(role="school_admin", scope=other_school))

    assert client.get(list_url(school)).status_code == 404


def test_parent_cannot_see_the_list(client, school, parent, login_as):
    login_as(parent)

    assert client.get(list_url(school)).status_code == 403


def test_the_schools_management_page_links_to_its_consultations(client, school, board_member, login_as):
    login_as(board_member)

    page = client.get(f"/schools/{school.slug}/manage", headers=ENGLISH).text

    assert f'href="{list_url(school)}"' in page and "Consultations" in page


def test_a_commission_admin_finds_the_districts_consultations_from_my_account(
    client, db, district, make_user, make_consultation, login_as
):
    admin = make_user(role="commission_admin", scope=district)
    make_consultation(Phase.OPEN, authority=district, title="全区课后服务收费意见征集")
    login_as(admin)

    me = client.get("/me", headers=ENGLISH).text
    page = client.get(f"/authorities/{district.id}/manage/consultations", headers=ENGLISH).text

    assert f'href="/authorities/{district.id}/manage/consultations"' in me
    assert "全区课后服务收费意见征集" in page and "Draft a consultation" in page


def test_the_authority_list_shows_only_its_own_consultations_not_its_schools(
    client, district, make_user, make_consultation, login_as
):
    make_consultation(Phase.OPEN, title="学校自己的")
    login_as(make_user(role="commission_admin", scope=district))

    page = client.get(f"/authorities/{district.id}/manage/consultations", headers=ENGLISH).text

    assert "学校自己的" not in page and "No consultations yet." in page


# Submitting


def test_school_admin_submits_a_complete_draft_for_approval(client, db, make_consultation, school_admin, login_as):
    consultation = make_consultation(Phase.DRAFT)
    login_as(school_admin)

    response = client.post(f"/manage/consultations/{consultation.id}/submit", headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == f"/manage/consultations/{consultation.id}"
    assert fresh(db, consultation).status == ConsultationStatus.SUBMITTED
    (event,) = events(db, "consultation.submit")
    assert event.actor_id == school_admin.id and event.school_id == consultation.school_id
    page = client.get(location_path(response), headers=ENGLISH).text
    assert "The moderators of Test District A will approve it or send it back" in page
    assert "Awaiting approval" in page and "It can no longer be changed." in page


def test_an_incomplete_draft_is_not_submitted_and_the_page_says_what_is_missing(
    client, db, make_consultation, school_admin, login_as
):
    consultation = make_consultation(
        Phase.DRAFT, proposal="", closes_at=utcnow() - timedelta(hours=1), opens_at=utcnow() - timedelta(days=2)
    )
    login_as(school_admin)

    response = client.post(f"/manage/consultations/{consultation.id}/submit", headers=ENGLISH)

    assert response.status_code == 422
    assert "Write the proposal people are asked to comment on." in response.text
    assert "The closing date has passed." in response.text
    # Said as a refusal that takes focus (a phone scrolls to it), not only as the page's usual list.
    assert 'class="notice notice-error" role="alert" tabindex="-1" autofocus' in response.text
    assert "The draft was not submitted." in response.text
    assert (
        "The draft was not submitted."
        not in client.get(f"/manage/consultations/{consultation.id}", headers=ENGLISH).text
    )
    assert fresh(db, consultation).status == ConsultationStatus.DRAFT
    assert events(db, "consultation.submit") == []


def test_a_sent_back_draft_shows_the_moderators_reason_and_can_be_submitted_again(
    client, db, make_consultation, moderator, school_admin, login_as
):
    consultation = make_consultation(Phase.SUBMITTED)
    services.send_back(moderator, consultation, "请补充预算说明。")
    db.session.commit()
    login_as(school_admin)

    page = client.get(f"/manage/consultations/{consultation.id}", headers=ENGLISH).text
    response = client.post(f"/manage/consultations/{consultation.id}/submit")

    assert "The moderators sent this consultation back</strong>: 请补充预算说明。" in page
    assert response.status_code == 303
    assert (
        fresh(db, consultation).status == ConsultationStatus.SUBMITTED
        and fresh(db, consultation).sent_back_reason == ""
    )


def test_submitting_twice_is_refused_the_second_time(client, db, make_consultation, school_admin, login_as):
    consultation = make_consultation(Phase.DRAFT)
    login_as(school_admin)

    first = client.post(f"/manage/consultations/{consultation.id}/submit")
    second = client.post(f"/manage/consultations/{consultation.id}/submit", headers=ENGLISH)

    assert first.status_code == 303 and second.status_code == 409
    assert "This consultation is no longer a draft" in second.text
    assert len(events(db, "consultation.submit")) == 1


def test_board_member_cannot_submit(client, db, make_consultation, board_member, login_as):
    consultation = make_consultation(Phase.DRAFT)
    login_as(board_member)

    assert client.post(f"/manage/consultations/{consultation.id}/submit").status_code == 403
    assert fresh(db, consultation).status == ConsultationStatus.DRAFT


# Closing early


def test_school_admin_closes_an_open_consultation_early_with_a_reason(
    client, db, make_consultation, school_admin, login_as
):
    consultation = make_consultation(Phase.OPEN)
    login_as(school_admin)

    response = client.post(
        f"/manage/consultations/{consultation.id}/close", data={"reason": "  方案已撤回，提前结束。 "}, headers=ENGLISH
    )

    assert response.status_code == 303
    closed = fresh(db, consultation)
    assert closed.phase(utcnow()) == Phase.CLOSED and closed.close_reason == "方案已撤回，提前结束。"
    (event,) = events(db, "consultation.close")
    assert event.actor_id == school_admin.id and event.data["reason"] == "方案已撤回，提前结束。"
    page = client.get(location_path(response), headers=ENGLISH).text
    assert "Closed early on" in page and "Write the outcome" in page


def test_a_scheduled_consultation_can_be_closed_before_it_opens(client, db, make_consultation, school_admin, login_as):
    consultation = make_consultation(Phase.SCHEDULED)
    login_as(school_admin)

    response = client.post(f"/manage/consultations/{consultation.id}/close", data={"reason": "取消。"})

    assert response.status_code == 303 and fresh(db, consultation).status == ConsultationStatus.CLOSED


@pytest.mark.parametrize(
    "reason, message",
    [
        ("  ", "Please say why the consultation closes early."),
        ("理" * 1001, "This has 1,001 characters; it can have at most 1,000."),
    ],
)
def test_closing_needs_a_reason_of_sensible_length(
    client, db, make_consultation, school_admin, login_as, reason, message
):
    consultation = make_consultation(Phase.OPEN)
    login_as(school_admin)

    response = client.post(f"/manage/consultations/{consultation.id}/close", data={"reason": reason}, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, "reason") == message
    assert fresh(db, consultation).status == ConsultationStatus.APPROVED


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.SUBMITTED, Phase.CLOSED])
def test_only_an_open_or_scheduled_consultation_can_be_closed(
    client, db, make_consultation, school_admin, login_as, phase
):
    consultation = make_consultation(phase)
    login_as(school_admin)

    response = client.post(
        f"/manage/consultations/{consultation.id}/close", data={"reason": "提前结束。"}, headers=ENGLISH
    )

    assert response.status_code == 409
    assert "Only a consultation that is open, or approved and about to open, can be closed early." in response.text
    assert events(db, "consultation.close") == []


def test_board_member_and_moderator_cannot_close_it(client, db, make_consultation, board_member, moderator, login_as):
    consultation = make_consultation(Phase.OPEN)

    for person in (board_member, moderator):
        login_as(person)
        assert client.post(f"/manage/consultations/{consultation.id}/close", data={"reason": "结束"}).status_code == 403
    assert fresh(db, consultation).status == ConsultationStatus.APPROVED


def test_an_open_consultations_page_offers_closing_and_shows_the_responses_so_far(
    client, make_consultation, make_response, parent, resident, school_admin, login_as
):
    consultation = make_consultation(Phase.OPEN)
    make_response(consultation, parent, publish=True)
    make_response(consultation, resident)
    login_as(school_admin)

    page = client.get(f"/manage/consultations/{consultation.id}", headers=ENGLISH).text

    assert "Open for comment until" in page and "1 published response, 1 awaiting moderation" in page
    assert "Close the consultation now" in page and "Submit for approval" not in page


# Deleting a draft


def test_a_draft_made_by_mistake_is_deleted_with_its_questions_once_confirmed(
    client, db, school, make_consultation, school_admin, login_as
):
    consultation = make_consultation(Phase.DRAFT, title="误建的意见征集")
    consultation_id = consultation.id
    login_as(school_admin)

    unconfirmed = client.post(f"/manage/consultations/{consultation_id}/discard", headers=ENGLISH)
    assert unconfirmed.status_code == 422
    assert field_error(unconfirmed.text, "confirm_delete") == "Tick the box to confirm before deleting the draft."
    assert fresh(db, consultation) is not None

    response = client.post(
        f"/manage/consultations/{consultation_id}/discard", data={"confirm_delete": "y"}, headers=ENGLISH
    )

    assert response.status_code == 303 and location_path(response) == list_url(school)
    db.session.remove()
    assert db.session.get(Consultation, consultation_id) is None
    (event,) = events(db, "consultation.discard")
    assert (event.actor_id, event.object_id, event.data["title"]) == (
        school_admin.id,
        consultation_id,
        "误建的意见征集",
    )
    assert "The draft “误建的意见征集” is deleted." in client.get(list_url(school), headers=ENGLISH).text
    assert client.get(f"/manage/consultations/{consultation_id}").status_code == 404


def test_a_sent_back_draft_can_be_deleted_too(client, db, make_consultation, moderator, school_admin, login_as):
    sent_back = make_consultation(Phase.SUBMITTED)
    services.send_back(moderator, sent_back, "请补充预算说明。")
    db.session.commit()
    login_as(school_admin)

    response = client.post(f"/manage/consultations/{sent_back.id}/discard", data={"confirm_delete": "y"})

    assert response.status_code == 303
    assert fresh(db, sent_back) is None


@pytest.mark.parametrize("phase", [Phase.SUBMITTED, Phase.OPEN, Phase.CLOSED])
def test_a_consultation_past_its_draft_is_never_deleted(client, db, make_consultation, school_admin, login_as, phase):
    consultation = make_consultation(phase)
    login_as(school_admin)

    response = client.post(f"/manage/consultations/{consultation.id}/discard", data={"confirm_delete": "y"})

    assert response.status_code == 409
    assert fresh(db, consultation) is not None
    assert events(db, "consultation.discard") == []
