"""Blocks: a moderator blocks a response's author from the queue; the blocked person cannot
respond, report or send feedback, is told why and until when, and the block ends by itself."""

from datetime import timedelta

from sqlalchemy import func, select

from portal import policy
from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.consultations.models import Phase, Response
from portal.extensions import db as _db
from portal.moderation.models import Block
from tests.helpers.consultations import create_consultation, someone


def block(moderator, person, *, days, reason):
    """A block in force, as a moderator makes it from the queue (here for people with no response):
    it applies where the moderator moderates."""
    now = utcnow()
    ends = now + timedelta(days=days) if days else None
    (membership,) = moderator.memberships
    blocked = Block(
        user_id=person.id,
        blocked_by_id=moderator.id,
        reason=reason,
        created_at=now,
        ends_at=ends,
        authority_id=membership.authority_id,
    )
    _db.session.add(blocked)
    _db.session.flush()
    return blocked


def _text(response):
    return response.get_data(as_text=True)


def _block(client, moderator_user, response, days="7", reason="多次人身攻击"):
    return client.post(f"/moderation/responses/{response.id}/block", data={"days": days, "reason": reason})


def test_moderator_blocks_the_author_for_seven_days_and_it_is_audited(client, login_as, moderator, pending):
    login_as(moderator)

    response = _block(client, moderator, pending)

    assert response.status_code == 303
    block = _db.session.scalar(select(Block).where(Block.user_id == pending.author_id))
    assert block.reason == "多次人身攻击"
    assert timedelta(days=6, hours=23) < block.ends_at - block.created_at <= timedelta(days=7)
    assert (
        _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "account.block"))
        == 1
    )
    assert "Blocked" in _text(client.get("/moderation", headers={"Accept-Language": "en"}))


def test_blocking_needs_a_reason_and_a_known_duration(client, login_as, moderator, pending):
    login_as(moderator)

    without_reason = client.post(
        f"/moderation/responses/{pending.id}/block",
        data={"days": "7", "reason": ""},
        headers={"Accept-Language": "zh-CN"},
    )
    assert without_reason.status_code == 422
    # The block form has a box to write in, no list of reasons: the message says so.
    assert "请写明封禁理由，对方会收到通知。" in _text(without_reason)
    assert "请选择或填写理由" not in _text(without_reason)
    assert _block(client, moderator, pending, days="365").status_code == 422
    assert _db.session.scalar(select(func.count()).select_from(Block)) == 0


def test_moderator_of_other_district_cannot_block_the_author(client, login_as, other_moderator, pending):
    login_as(other_moderator)

    assert _block(client, other_moderator, pending).status_code == 404


def test_blocked_person_cannot_respond_and_is_told_why_and_until_when(client, login_as, moderator, school):
    consultation = create_consultation(school, Phase.OPEN, questions=[])
    author = someone()
    block(moderator, author, days=30, reason="发布广告")
    _db.session.commit()
    login_as(author)

    response = client.post(
        f"/consultations/{consultation.id}/response",
        data={"stance": "support", "body": "再次发言"},
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 403
    assert "blocked your account" in _text(response) and "发布广告" in _text(response) and "until" in _text(response)
    assert _db.session.scalar(select(func.count()).select_from(Response).where(Response.author_id == author.id)) == 0


def test_blocked_person_cannot_report(client, login_as, moderator, published):
    reporter = someone()
    block(moderator, reporter, days=None, reason="滥用举报")
    _db.session.commit()
    login_as(reporter)

    response = client.post(
        f"/consultations/{published.consultation_id}/responses/{published.id}/report",
        data={"reason": "广告"},
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 403
    assert "until further notice" in _text(response)
    opening = client.get(
        f"/consultations/{published.consultation_id}/responses/{published.id}/report", headers={"Accept-Language": "en"}
    )
    assert opening.status_code == 403 and "until further notice" in _text(opening)


def test_blocked_person_cannot_send_feedback(client, login_as, moderator, school):
    person = someone()
    block(moderator, person, days=1, reason="骚扰学校")
    _db.session.commit()
    login_as(person)

    response = client.post(
        f"/schools/{school.slug}/feedback", data={"subject": "你好", "body": "内容"}, headers={"Accept-Language": "en"}
    )

    assert response.status_code == 403
    assert "骚扰学校" in _text(response)


def test_a_block_ends_by_itself(moderator, db):
    person = someone()
    one_day = block(moderator, person, days=1, reason="冷静一下")
    _db.session.commit()

    assert policy.is_blocked(person, now=utcnow())
    assert not policy.is_blocked(person, now=one_day.ends_at + timedelta(seconds=1))


def test_unblocking_lifts_the_block_and_is_audited(client, login_as, moderator, pending):
    author = _db.session.get(type(pending.author), pending.author_id)
    block(moderator, author, days=None, reason="测试")
    _db.session.commit()
    login_as(moderator)

    first = client.post(f"/moderation/responses/{pending.id}/unblock")
    second = client.post(f"/moderation/responses/{pending.id}/unblock")

    assert (first.status_code, second.status_code) == (303, 409)
    assert not policy.is_blocked(author)
    assert (
        _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "account.unblock"))
        == 1
    )


def test_blocked_person_opening_the_feedback_form_is_told_why(client, login_as, moderator, school):
    person = someone()
    block(moderator, person, days=7, reason="骚扰学校")
    _db.session.commit()
    login_as(person)

    response = client.get(f"/schools/{school.slug}/feedback", headers={"Accept-Language": "en"})

    assert response.status_code == 403
    assert "骚扰学校" in _text(response)


def test_blocked_person_sees_the_block_on_their_account_page(client, login_as, moderator):
    person = someone()
    block(moderator, person, days=30, reason="发布广告")
    _db.session.commit()
    login_as(person)

    page = _text(client.get("/me", headers={"Accept-Language": "en"}))

    assert "blocked your account" in page and "发布广告" in page
