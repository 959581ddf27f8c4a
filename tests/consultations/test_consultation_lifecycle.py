"""The lifecycle of a consultation, on the model and through the services: every transition,
and every invalid one refused with a reason."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import policy
from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.consultations import responses as response_services
from portal.consultations import services
from portal.consultations.models import ConsultationStatus, Phase, ResponseState
from portal.domain import DomainError
from portal.moderation import services as moderation_services


def reason_of(call, *args, **kwargs):
    with pytest.raises(DomainError) as refused:
        call(*args, **kwargs)
    return refused.value.reason


def test_a_consultation_goes_from_draft_to_outcome(db, make_consultation, moderator):
    consultation = make_consultation(Phase.DRAFT)
    now = utcnow()

    services.submit(None, consultation, now=now)
    assert consultation.phase(now) == Phase.SUBMITTED
    services.approve(moderator, consultation, now=now)
    assert consultation.phase(now) == Phase.OPEN
    assert consultation.phase(consultation.closes_at) == Phase.CLOSED  # closing needs no scheduler
    services.close_early(None, consultation, "预算调整，提前结束。", now=now)
    assert consultation.phase(now) == Phase.CLOSED and consultation.close_reason == "预算调整，提前结束。"
    consultation.publish_outcome(now, heard="多数家长支持。", changes="自下学期起调整。", document_sha256=None)
    assert consultation.phase(now) == Phase.OUTCOME_PUBLISHED


def test_scheduled_before_its_opening_time(make_consultation):
    consultation = make_consultation(Phase.SCHEDULED)

    assert consultation.phase(utcnow()) == Phase.SCHEDULED


def test_invalid_transitions_are_refused(db, make_consultation, moderator):
    draft = make_consultation(Phase.DRAFT)
    open_one = make_consultation(Phase.OPEN)
    closed = make_consultation(Phase.CLOSED)
    now = utcnow()

    assert reason_of(services.approve, moderator, draft) == "not_submitted"
    assert reason_of(services.send_back, moderator, draft, "原因") == "not_submitted"
    assert reason_of(services.submit, None, open_one) == "not_a_draft"
    assert reason_of(services.update_consultation, None, open_one, {"title": "改"}) == "not_a_draft"
    assert reason_of(services.close_early, None, closed, "原因") == "not_open_to_close"
    assert reason_of(open_one.publish_outcome, now, heard="", changes="", document_sha256=None) == "not_closed"
    assert reason_of(services.add_question, None, open_one, kind="text", prompt="再问") == "not_a_draft"


def test_sending_back_needs_a_reason_and_returns_a_draft(db, make_consultation, moderator):
    consultation = make_consultation(Phase.SUBMITTED)

    assert reason_of(services.send_back, moderator, consultation, "  ") == "reason_required"
    services.send_back(moderator, consultation, "请补充预算说明。")

    assert consultation.status == ConsultationStatus.DRAFT and consultation.sent_back_reason == "请补充预算说明。"


def test_closing_before_opening_is_refused(db, school):
    now = utcnow()

    assert (
        reason_of(
            services.create_consultation,
            None,
            school=school,
            data={"title": "x", "opens_at": now, "closes_at": now - timedelta(days=1)},
        )
        == "closes_before_opening"
    )


def test_at_most_ten_questions(db, make_consultation):
    consultation = make_consultation(Phase.DRAFT, questions=[])
    for number in range(10):
        services.add_question(None, consultation, kind="text", prompt=f"问题{number}")

    assert reason_of(services.add_question, None, consultation, kind="text", prompt="第十一个") == "too_many_questions"


@pytest.mark.parametrize(
    "choices, reason",
    [
        (["唯一"], "too_few_choices"),
        (["甲", "甲"], "duplicate_choices"),
        ([str(n) for n in range(13)], "too_many_choices"),
    ],
)
def test_choice_questions_need_two_to_twelve_distinct_choices(db, make_consultation, choices, reason):
    consultation = make_consultation(Phase.DRAFT, questions=[])

    assert (
        reason_of(services.add_question, None, consultation, kind="single", prompt="选一个", choices=choices) == reason
    )


def test_every_transition_is_audited(db, make_consultation, moderator):
    consultation = make_consultation(Phase.SUBMITTED)
    services.approve(moderator, consultation)
    db.session.commit()

    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.object_id == consultation.id, AuditEvent.object_type == "Consultation"
        )
    ).all()
    assert {"consultation.create", "consultation.submit", "consultation.approve"} <= set(actions)


# Responses and tallies


def test_a_second_response_edits_the_first_and_keeps_the_earlier_version(db, make_consultation, make_response, parent):
    consultation = make_consultation(moderation="post")
    make_response(consultation, parent, "support", body="第一次")

    response = make_response(consultation, parent, "oppose", body="改主意了")

    assert response.stance.value == "oppose" and [v.body for v in response.versions] == ["第一次"]
    assert response_services.results(consultation).stances[0][1] == 0  # support
    assert dict((s.value, n) for s, n in response_services.results(consultation).stances)["oppose"] == 1


def test_tallies_follow_publishing_and_hiding(db, make_consultation, make_response, parent, resident, moderator):
    consultation = make_consultation()  # pre-moderation
    single_id, multiple_id = (str(question.id) for question in consultation.questions[:2])
    first = make_response(consultation, parent, "support", answers={single_id: "1", multiple_id: ["0", "2"]})
    make_response(consultation, resident, "neutral")
    assert response_services.results(consultation).published == 0

    moderation_services.moderate(moderator, first, "publish")
    results = response_services.results(consultation)
    assert results.published == 1
    single, multiple = results.questions
    assert single[1] == [("17:00", 0), ("17:30", 1), ("18:00", 0)]
    assert [count for _, count in multiple[1]] == [1, 0, 1, 0]

    moderation_services.moderate(moderator, first, "hide", "人身攻击")
    assert response_services.results(consultation).published == 0


def test_unknown_questions_and_choices_are_never_stored(db, make_consultation, make_response, parent):
    consultation = make_consultation()
    ids = [question.id for question in consultation.questions]

    response = make_response(
        consultation,
        parent,
        answers={str(ids[0]): "7", str(ids[1]): ["1", "99", "x"], "424242": "骗", str(ids[2]): "  好  "},
    )

    assert response.answers == {str(ids[1]): [1], str(ids[2]): "好"}


def test_responding_outside_the_dates_is_refused(db, make_consultation, parent):
    for phase in (Phase.SCHEDULED, Phase.CLOSED, Phase.DRAFT):
        consultation = make_consultation(phase)
        assert reason_of(response_services.submit_response, parent, consultation, {"stance": "support"}) == "not_open"


def test_only_one_moderator_action_takes_effect(db, make_consultation, make_response, parent, moderator):
    response = make_response(make_consultation(), parent)
    moderation_services.moderate(moderator, response, "publish")

    assert reason_of(moderation_services.moderate, moderator, response, "reject", "重复") == "already_moderated"
    assert response.state == ResponseState.PUBLISHED


def test_verified_parents_only_means_parents_of_the_school(
    db, make_consultation, parent, resident, make_user, other_school
):
    consultation = make_consultation(audience="parents")

    assert policy.in_audience(parent, consultation)
    assert not policy.in_audience(resident, consultation)
    assert not policy.in_audience(make_user(role="parent", scope=other_school), consultation)


def test_reports_are_one_per_person_and_only_on_published_responses(
    db, make_consultation, make_response, parent, resident
):
    response = make_response(make_consultation(), parent)
    assert reason_of(moderation_services.report_response, resident, response, {"reason": "广告"}) == "not_published"
    moderation_services.moderate(None, response, "publish")

    moderation_services.report_response(resident, response, {"reason": "广告"})

    assert reason_of(moderation_services.report_response, resident, response, {"reason": "再报"}) == "already_reported"
    assert reason_of(moderation_services.report_response, parent, response, {"reason": "自己"}) == "own_response"
