"""Where a block applies: a district moderator's block in that district (its schools' suggestion
boxes, the consultations of its schools and of the district itself); a city moderator's block
everywhere. The blocked person is told where and until when, in their language."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import policy
from portal.clock import utcnow
from portal.consultations.models import Phase, Response
from portal.extensions import db as _db
from portal.feedback.models import Feedback
from portal.moderation import services
from tests.helpers.consultations import create_consultation, respond, someone
from tests.helpers.feedback import token
from tests.helpers.translations import compile_with_new_messages, use_catalogues

ENGLISH = {"Accept-Language": "en"}
CHINESE = {"Accept-Language": "zh-CN"}


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory):
    """The Chinese of this branch's new messages too (NEW_MESSAGES.json), until they are merged."""
    return compile_with_new_messages(tmp_path_factory.mktemp("catalogues"))


@pytest.fixture(autouse=True)
def new_words(app, catalogues, monkeypatch):
    use_catalogues(app, catalogues, monkeypatch)


@pytest.fixture
def city_moderator(make_user, city):
    return make_user(role="moderator", scope=city, display_name="市审核员")


@pytest.fixture
def author(db):
    return someone("作者")


def blocked_by(moderator, author, school, *, days=7):
    """`author` blocked by `moderator` from the queue, over a response to a consultation of `school`."""
    consultation = create_consultation(school, Phase.OPEN, questions=[])
    response = respond(consultation, author, body="人身攻击的内容", publish=True)
    block = services.block_author(moderator, response, {"days": days, "reason": "人身攻击"})
    _db.session.commit()
    return block


def send_feedback(client, school, headers=ENGLISH):
    return client.post(
        f"/schools/{school.slug}/feedback",
        data={"category": "canteen", "body": "午餐是凉的。", "submission_token": token()},
        headers=headers,
    )


def feedback_count(author) -> int:
    return _db.session.scalar(select(func.count()).select_from(Feedback).where(Feedback.author_id == author.id))


def test_a_district_moderator_s_block_applies_in_that_district(moderator, district, author, school):
    block = blocked_by(moderator, author, school)

    assert block.authority_id == district.id and not block.everywhere


def test_a_city_moderator_s_block_applies_everywhere(city_moderator, city, author, school):
    block = blocked_by(city_moderator, author, school)

    assert block.authority_id == city.id and block.everywhere


def test_a_moderator_of_both_city_and_district_blocks_everywhere(make_user, district, city, author, school):
    both = make_user(role="moderator", scope=district)
    from portal.accounts.models import Membership, Role

    _db.session.add(Membership(user_id=both.id, role=Role.MODERATOR, authority_id=city.id))
    _db.session.flush()
    _db.session.refresh(both)

    assert blocked_by(both, author, school).authority_id == city.id


def test_a_district_block_does_not_stop_feedback_to_a_school_of_another_district(
    client, login_as, moderator, author, school, other_school
):
    blocked_by(moderator, author, school)
    login_as(author)

    refused = send_feedback(client, school)
    accepted = send_feedback(client, other_school)

    assert refused.status_code == 403
    assert accepted.status_code == 303
    assert feedback_count(author) == 1


def test_a_city_block_stops_feedback_to_every_school(client, login_as, city_moderator, author, school, other_school):
    blocked_by(city_moderator, author, school)
    login_as(author)

    assert send_feedback(client, school).status_code == 403
    assert send_feedback(client, other_school).status_code == 403
    assert feedback_count(author) == 0


def test_a_district_block_stops_responding_to_the_district_s_own_consultations_only(
    client, login_as, moderator, author, school, district, city, other_district
):
    blocked_by(moderator, author, school)
    in_district = create_consultation(None, Phase.OPEN, authority=district, questions=[])
    city_wide = create_consultation(None, Phase.OPEN, authority=city, questions=[])
    elsewhere = create_consultation(None, Phase.OPEN, authority=other_district, questions=[])
    _db.session.commit()
    login_as(author)

    statuses = [
        client.post(f"/consultations/{c.id}/response", data={"stance": "support", "body": "我的意见"}).status_code
        for c in (in_district, city_wide, elsewhere)
    ]

    assert statuses == [403, 303, 303]


def test_the_blocked_person_is_told_the_district_and_the_end_date(client, login_as, moderator, author, school):
    blocked_by(moderator, author, school, days=7)
    login_as(author)

    english = send_feedback(client, school).get_data(as_text=True)
    chinese = send_feedback(client, school, CHINESE).get_data(as_text=True)

    assert "A moderator of Test District A has blocked your account" in english
    assert "to its schools and in its consultations until" in english and "人身攻击" in english
    assert "测试甲区教育委员会的审核员已封禁您的账号" in chinese
    year = str((utcnow() + timedelta(days=7)).year)
    assert year in english and year in chinese


def test_a_city_block_tells_the_person_it_applies_everywhere(client, login_as, city_moderator, author, school):
    blocked_by(city_moderator, author, school, days=None)
    login_as(author)

    english = send_feedback(client, school).get_data(as_text=True)
    chinese = send_feedback(client, school, CHINESE).get_data(as_text=True)

    assert "anywhere on the portal until further notice" in english
    assert "在整个平台" in chinese and "解除前" in chinese


def test_the_account_page_lists_each_block_with_where_it_applies(
    client, login_as, moderator, other_moderator, author, school, other_school
):
    blocked_by(moderator, author, school)
    blocked_by(other_moderator, author, other_school, days=None)
    login_as(author)

    page = client.get("/me", headers=ENGLISH).get_data(as_text=True)

    assert "A moderator of Test District A" in page and "A moderator of Test District B" in page
    assert page.count('id="blocked-notice"') == 1


def test_a_district_moderator_cannot_lift_the_city_s_block(client, login_as, moderator, city_moderator, author, school):
    blocked_by(city_moderator, author, school)
    response = _db.session.scalar(select(Response).where(Response.author_id == author.id))
    login_as(moderator)

    answer = client.post(f"/moderation/responses/{response.id}/unblock", headers=ENGLISH)

    assert answer.status_code == 409
    assert "only they can lift it" in answer.get_data(as_text=True)
    assert policy.is_blocked(author)


def test_a_city_moderator_lifts_a_district_s_block(client, login_as, moderator, city_moderator, author, school):
    blocked_by(moderator, author, school)
    response = _db.session.scalar(select(Response).where(Response.author_id == author.id))
    login_as(city_moderator)

    assert client.post(f"/moderation/responses/{response.id}/unblock").status_code == 303
    assert not policy.is_blocked(author)


def test_the_queue_shows_a_block_only_where_it_applies(
    client, login_as, moderator, other_moderator, author, school, other_school
):
    blocked_by(moderator, author, school)
    respond(create_consultation(other_school, Phase.OPEN, questions=[]), author, body="另一区的意见")
    login_as(other_moderator)

    queue = client.get("/moderation", headers=ENGLISH).get_data(as_text=True)

    assert "另一区的意见" in queue
    assert "moderation-blocked" not in queue  # the block of 测试甲区 does not apply here
