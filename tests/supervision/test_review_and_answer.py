"""A sender not satisfied with the school's answer asks, once per item and with a reason, that the
supervisor review it ("不满意，提请督学"). The supervisor finds it in their queue with the whole
exchange and answers the sender, publicly or privately, and may direct the school to answer by a
date. A supervisor of another school or district finds nothing (404); nobody else may see the
queue (403)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.extensions import db
from portal.feedback.models import FeedbackStatus
from portal.notifications.models import Notification
from portal.supervision import services
from portal.supervision.models import CaseKind, SupervisionCase
from tests.helpers.clock import beijing, freeze


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    freeze(monkeypatch, beijing(2026, 12, 3, 10))


@pytest.fixture
def answered(send, parent, school):
    return send(parent, school, answered=True, at=utcnow() - timedelta(days=3))


def review_url(feedback):
    return f"/me/feedback/{feedback.id}/review"


def cases():
    return list(db.session.scalars(select(SupervisionCase)))


def test_a_sender_asks_the_supervisor_to_review_the_answer(client, login_as, parent, answered, supervisor):
    login_as(parent)

    response = client.post(review_url(answered), data={"reason": "学校的答复没有解决问题。"})

    assert response.status_code == 303
    (case,) = cases()
    assert (case.kind, case.reason) == (CaseKind.REVIEW, "学校的答复没有解决问题。")
    assert db.session.get(type(answered), answered.id).status == FeedbackStatus.ESCALATED
    # The sender reads back what they wrote, under "your reason".
    mine = client.get(f"/me/feedback/{answered.id}", headers={"Accept-Language": "en"}).text
    assert "Your reason" in mine and "学校的答复没有解决问题。" in mine
    assert f'id="supervision-case-{case.id}"' in queue_as(client, login_as, supervisor)


def test_a_review_of_the_answer_comes_after_answered_in_the_progress_steps(
    client, login_as, parent, answered, supervisor, send, school, with_app
):
    """A review follows the school's answer; an item left unanswered goes to the supervisor before
    any answer: each referral is shown where it happened."""
    from portal.feedback.models import FeedbackStatus as S

    login_as(parent)
    client.post(review_url(answered), data={"reason": "学校的答复没有解决问题。"})

    item = db.session.get(type(answered), answered.id)
    assert item.steps() == (S.RECEIVED, S.IN_PROGRESS, S.ANSWERED, S.ESCALATED, S.CLOSED)
    unanswered = send(parent, school)
    with with_app():
        unanswered.escalate()
        db.session.add(type(item.events[0])(feedback=unanswered, kind=item.events[0].kind, status=S.ESCALATED))
        db.session.flush()
    assert unanswered.steps() == (S.RECEIVED, S.ESCALATED, S.IN_PROGRESS, S.ANSWERED, S.CLOSED)


def queue_as(client, login_as, user):
    login_as(user)
    return client.get("/supervision").text


def test_a_review_can_be_asked_for_once(client, login_as, parent, answered, supervisor):
    login_as(parent)
    client.post(review_url(answered), data={"reason": "第一次"})

    response = client.post(review_url(answered), data={"reason": "第二次"})

    assert response.status_code == 409
    assert len(cases()) == 1


def test_a_review_needs_a_reason(client, login_as, parent, answered, supervisor):
    login_as(parent)

    response = client.post(review_url(answered), data={"reason": "  "})

    assert response.status_code == 422
    assert 'id="reason-error"' in response.text
    assert cases() == []


def test_a_review_before_any_answer_is_refused(client, login_as, parent, send, school, supervisor):
    waiting = send(parent, school)
    login_as(parent)

    assert client.post(review_url(waiting), data={"reason": "太慢"}).status_code == 409
    assert cases() == []


def test_a_review_where_the_school_has_no_supervisor_is_refused(client, login_as, parent, answered):
    login_as(parent)

    assert client.post(review_url(answered), data={"reason": "不满意"}).status_code == 409


def test_someone_elses_item_is_not_found(client, login_as, make_user, school, answered, supervisor):
    login_as(make_user(role="parent", scope=school))

    assert client.post(review_url(answered), data={"reason": "不满意"}).status_code == 404


def test_the_senders_page_offers_the_review_once_the_school_answered(client, login_as, parent, answered, supervisor):
    login_as(parent)

    page = client.get(f"/me/feedback/{answered.id}").text

    assert f'action="{review_url(answered)}"' in page


# --- the supervisor's answer ------------------------------------------------------------------


@pytest.fixture
def case(parent, answered, supervisor, with_app):
    with with_app():
        case = services.request_review(parent, answered, {"reason": "不满意"})
        db.session.commit()
    return case


def answer_url(case):
    return f"/supervision/{case.id}"


def test_the_supervisor_answers_publicly_and_directs_the_school(client, login_as, supervisor, parent, case):
    login_as(supervisor)

    response = client.post(
        answer_url(case), data={"answer": "已要求学校一周内答复。", "public": "y", "answer_by": "2026-12-10"}
    )

    assert response.status_code == 303
    case = db.session.get(SupervisionCase, case.id)
    assert case.answer_public and case.school_to_answer_by.isoformat() == "2026-12-10"
    assert "supervision.answer" in [e.action for e in db.session.scalars(select(AuditEvent))]
    told = {(n.user_id, n.event) for n in db.session.scalars(select(Notification))}
    assert (parent.id, "feedback.supervisor_answered") in told
    login_as(parent)
    assert "已要求学校一周内答复。" in client.get(f"/me/feedback/{case.feedback_id}").text


def test_an_answer_on_a_private_item_is_never_public(client, login_as, supervisor, parent, send, school, with_app):
    private = send(parent, school, answered=True, private=True)
    with with_app():
        case = services.request_review(parent, private, {"reason": "不满意"})
        db.session.commit()
    login_as(supervisor)

    client.post(answer_url(case), data={"answer": "已处理。", "public": "y"})

    assert db.session.get(SupervisionCase, case.id).answer_public is False


def test_the_supervisor_reads_a_private_reply_as_the_sender_s_not_as_their_own(
    client, login_as, supervisor, parent, send, school, with_app
):
    private = send(parent, school, answered=True, private=True)
    with with_app():
        case = services.request_review(parent, private, {"reason": "不满意"})
        db.session.commit()
    login_as(supervisor)

    page = client.get(answer_url(case), headers={"Accept-Language": "en"}).text

    assert "Only for the sender" in page and "Only for you" not in page


@pytest.mark.parametrize(
    "data, field",
    [
        ({"answer": ""}, "answer"),
        ({"answer": "字" * 5_001}, "answer"),
        ({"answer": "好", "answer_by": "2026-12-03"}, "answer_by"),  # today: not after today
        ({"answer": "好", "answer_by": "2026-02-30"}, "answer_by"),
    ],
)
def test_a_bad_answer_is_refused_beside_its_field(client, login_as, supervisor, case, data, field):
    login_as(supervisor)

    response = client.post(answer_url(case), data=data)

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert not db.session.get(SupervisionCase, case.id).is_answered


def test_a_case_is_answered_once(client, login_as, supervisor, case):
    login_as(supervisor)
    client.post(answer_url(case), data={"answer": "第一次答复"})

    client.post(answer_url(case), data={"answer": "第二次答复"})

    assert db.session.get(SupervisionCase, case.id).answer == "第一次答复"


def test_a_supervisor_of_another_school_finds_nothing(client, login_as, other_supervisor, case):
    login_as(other_supervisor)

    assert client.get(answer_url(case)).status_code == 404
    assert client.post(answer_url(case), data={"answer": "越权"}).status_code == 404
    assert f'id="supervision-case-{case.id}"' not in client.get("/supervision").text


@pytest.mark.parametrize("who", ["parent", "school_admin", "moderator"])
def test_only_supervisors_open_the_queue(request, client, login_as, case, who):
    login_as(request.getfixturevalue(who))

    assert client.get("/supervision").status_code == 403
    assert client.get(answer_url(case)).status_code == 403


def test_visitors_are_asked_to_log_in(client, case):
    assert client.get("/supervision").status_code == 302


def test_the_header_leads_supervisors_to_their_queue(client, login_as, supervisor, parent):
    login_as(supervisor)
    assert 'href="/supervision"' in client.get("/").text
    login_as(parent)
    assert 'href="/supervision"' not in client.get("/").text


def test_the_supervisor_s_account_page_says_how_many_cases_wait_and_leads_to_them(
    client, login_as, supervisor, parent, case
):
    login_as(supervisor)

    waiting = client.get("/me", headers={"Accept-Language": "en"}).text
    db.session.get(SupervisionCase, case.id).answered_at = utcnow()  # answered: nothing waits any more
    db.session.commit()
    none_waiting = client.get("/me", headers={"Accept-Language": "en"}).text
    login_as(parent)
    not_a_supervisor = client.get("/me", headers={"Accept-Language": "en"}).text

    assert '<a href="/supervision">1 case waits for your answer</a>' in waiting
    assert '<a href="/supervision">0 cases wait for your answer</a>' in none_waiting
    assert "Referred to you as responsible supervisor" not in not_a_supervisor
