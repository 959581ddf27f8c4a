"""A decision may answer a consultation: its draft names one of the school's consultations that
has closed, and the consultation's outcome then lists it."""

import pytest
from sqlalchemy import select

from portal.consultations.models import Phase
from portal.decisions.models import Decision
from tests.helpers.pages import ENGLISH, field_error


def decision_form(**changes):
    data = {
        "title": "关于调整课后服务时间的决定",
        "body": "自2027年春季学期起，课后服务结束时间调整为17:30。",
        "meeting_id": "",
        "votes_for": "0",
        "votes_against": "0",
        "votes_abstain": "0",
        "effective_on": "",
        "replaces_id": "",
        "replaces_how": "supersedes",
        "charter_version_id": "",
        "consultation_id": "",
    }
    data.update(changes)
    return data


def new_decision_url(school):
    return f"/schools/{school.slug}/manage/decisions/new"


def only_decision(db):
    return db.session.scalar(select(Decision))


def test_the_draft_form_offers_the_schools_closed_consultations_only(
    client, make_consultation, make_school, board_member, school, login_as
):
    closed = make_consultation(Phase.CLOSED, title="已结束的征集")
    make_consultation(Phase.OPEN, title="正在进行的征集")
    make_consultation(Phase.DRAFT, title="草稿征集")
    make_consultation(Phase.CLOSED, school=make_school(), title="别校的征集")
    login_as(board_member)

    page = client.get(new_decision_url(school), headers=ENGLISH).text

    assert "Answers a consultation (optional)" in page
    assert f'<option value="{closed.id}">已结束的征集</option>' in page
    assert "正在进行的征集" not in page and "草稿征集" not in page and "别校的征集" not in page


def test_a_draft_decision_answers_a_closed_consultation(client, db, make_consultation, board_member, school, login_as):
    closed = make_consultation(Phase.CLOSED)
    login_as(board_member)

    response = client.post(new_decision_url(school), data=decision_form(consultation_id=str(closed.id)))

    assert response.status_code == 303
    decision = only_decision(db)
    assert decision.consultation_id == closed.id
    page = client.get(f"/schools/{school.slug}/manage/decisions/{decision.id}").text
    assert f'<option selected value="{closed.id}">' in page


def test_the_link_can_be_removed_again(client, db, make_consultation, board_member, school, login_as):
    closed = make_consultation(Phase.CLOSED)
    login_as(board_member)
    client.post(new_decision_url(school), data=decision_form(consultation_id=str(closed.id)))
    decision = only_decision(db)

    client.post(f"/schools/{school.slug}/manage/decisions/{decision.id}", data=decision_form(consultation_id=""))

    db.session.remove()
    assert db.session.get(Decision, decision.id).consultation_id is None


def test_an_outcome_published_consultation_can_be_answered_too(
    client, db, make_consultation, board_member, school, login_as
):
    closed = make_consultation(Phase.CLOSED)
    closed.publish_outcome(closed.closes_at, heard="听到", changes="改变", document_sha256=None)
    db.session.commit()
    login_as(board_member)

    assert client.post(new_decision_url(school), data=decision_form(consultation_id=str(closed.id))).status_code == 303
    assert only_decision(db).consultation_id == closed.id


@pytest.mark.parametrize("which", ["open", "draft", "other_school", "unknown", "huge", "word"])
def test_a_forged_consultation_is_refused_next_to_the_field(
    client, db, make_consultation, make_school, board_member, school, login_as, which
):
    ident = {
        "open": lambda: make_consultation(Phase.OPEN).id,
        "draft": lambda: make_consultation(Phase.DRAFT).id,
        "other_school": lambda: make_consultation(Phase.CLOSED, school=make_school()).id,
        "unknown": lambda: 99999999,
        "huge": lambda: "99999999999999999999",
        "word": lambda: "abc",
    }[which]()
    login_as(board_member)

    response = client.post(
        new_decision_url(school), data=decision_form(consultation_id=str(ident), title="标题保留"), headers=ENGLISH
    )

    assert response.status_code == 422
    assert field_error(response.text, "consultation_id") == "Choose one of this school's consultations that has closed."
    assert "标题保留" in response.text
    assert only_decision(db) is None


def test_the_service_refuses_another_schools_consultation_whatever_the_form_offered(
    db, make_consultation, make_school, school
):
    from portal.decisions import services
    from portal.domain import DomainError

    other = make_consultation(Phase.CLOSED, school=make_school())

    with pytest.raises(DomainError) as refused:
        services.create_draft(None, school, {"title": "标题", "consultation_id": other.id})

    assert refused.value.reason == "unknown_consultation"
