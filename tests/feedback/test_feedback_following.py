"""The sender follows their feedback under /me/feedback: newest first, each item with its steps and
the school's replies (private ones only they read). The school's page shows a few answered items
that are not private, with the school's public answer, never who sent them."""

import re
from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.feedback import services
from portal.feedback.models import FeedbackStatus
from tests.helpers.pages import ENGLISH, HTMX

S = FeedbackStatus


def references(page):
    return re.findall(r"FB-\d{4}-\d{6}", page)


def test_private_reply_is_shown_only_to_the_sender(
    client, db, school, parent, other_parent, board_member, send, login_as
):
    feedback = send(parent, school)  # not private: a public reply could be shown
    services.reply_to_feedback(
        board_member, feedback, {"reply": "您孩子的情况我们单独联系您。", "public": False, "mark_answered": True}
    )
    db.session.commit()

    login_as(parent)
    own = client.get("/me/feedback").get_data(as_text=True) + client.get(f"/me/feedback/{feedback.id}").get_data(
        as_text=True
    )
    login_as(other_parent)
    theirs = client.get("/me/feedback").get_data(as_text=True)
    their_try = client.get(f"/me/feedback/{feedback.id}")
    client.post("/logout")
    public = client.get(f"/schools/{school.slug}").get_data(as_text=True)

    assert own.count("您孩子的情况我们单独联系您。") == 2
    assert "您孩子的情况我们单独联系您。" not in theirs and feedback.reference not in theirs
    assert their_try.status_code == 404
    assert "您孩子的情况我们单独联系您。" not in public and feedback.reference not in public


def test_my_feedback_lists_my_items_newest_first_with_their_schools(
    client, school, other_school, parent, other_parent, send, login_as
):
    now = utcnow()
    older = send(parent, school, at=now - timedelta(days=3))
    newer = send(parent, other_school, at=now - timedelta(days=1))
    someone_elses = send(other_parent, school)
    login_as(parent)

    page = client.get("/me/feedback").get_data(as_text=True)

    found = list(dict.fromkeys(references(page)))
    assert found == [newer.reference, older.reference]
    assert someone_elses.reference not in page
    assert f'href="/schools/{other_school.slug}"' in page


def test_my_feedback_is_paginated_and_htmx_gets_only_the_list(client, school, parent, send, login_as):
    now = utcnow()
    items = [send(parent, school, at=now - timedelta(minutes=n)) for n in range(12)]
    login_as(parent)

    first = client.get("/me/feedback").get_data(as_text=True)
    second = client.get("/me/feedback?page=2", headers={**HTMX, "HX-Target": "my-feedback"}).get_data(as_text=True)

    assert list(dict.fromkeys(references(first))) == [item.reference for item in items[:10]]
    assert list(dict.fromkeys(references(second))) == [item.reference for item in items[10:]]
    assert second.lstrip().startswith('<div id="my-feedback">')


def test_sender_sees_each_step_and_where_the_item_is_now(client, db, school, parent, board_member, send, login_as):
    feedback = send(parent, school, status=S.IN_PROGRESS)
    login_as(parent)

    page = client.get(f"/me/feedback/{feedback.id}", headers=ENGLISH).get_data(as_text=True)

    steps = page.split('class="feedback-steps"')[1].split("</ol>")[0]
    assert re.findall(r'<li class="feedback-step[^"]*"', steps) == [
        '<li class="feedback-step feedback-step-reached"',
        '<li class="feedback-step feedback-step-reached feedback-step-current"',
        '<li class="feedback-step"',
        '<li class="feedback-step"',
    ]
    assert 'aria-current="step"' in steps and "In progress" in steps


def test_sender_sees_the_school_answer_but_not_which_staff_member_wrote_it(
    client, db, school, parent, board_member, send, login_as
):
    feedback = send(parent, school)
    services.reply_to_feedback(board_member, feedback, {"reply": "已处理。", "public": True, "mark_answered": True})
    db.session.commit()
    login_as(parent)

    page = client.get(f"/me/feedback/{feedback.id}", headers=ENGLISH).get_data(as_text=True)

    assert "已处理。" in page and "Reply from the school" in page
    assert board_member.display_name not in page


def test_someone_else_s_feedback_does_not_exist_under_my_feedback(
    client, school, parent, other_parent, board_member, send, login_as
):
    feedback = send(parent, school)

    for person in (other_parent, board_member):  # the school's staff read it in the inbox, not here
        login_as(person)
        assert client.get(f"/me/feedback/{feedback.id}").status_code == 404


@pytest.mark.parametrize("feedback_id", ["0", "99999999999"])
def test_unknown_item_under_my_feedback_is_not_found(client, parent, login_as, feedback_id):
    login_as(parent)

    assert client.get(f"/me/feedback/{feedback_id}").status_code == 404


def test_person_without_feedback_is_shown_where_to_send_some(client, parent, login_as):
    login_as(parent)

    page = client.get("/me/feedback", headers=ENGLISH).get_data(as_text=True)

    assert "You have not sent any feedback yet." in page and 'href="/schools"' in page


# The school's page


def test_school_page_shows_answered_feedback_that_is_not_private_with_its_public_answer(
    client, db, school, parent, send
):
    shown = send(parent, school, status=S.ANSWERED, body="校车早上超员。", reply="已加开一辆校车。")

    page = client.get(f"/schools/{school.slug}", headers=ENGLISH).get_data(as_text=True)

    section = page.split('id="feedback-heading"')[1].split("</section>")[0]
    assert "Recently answered" in section
    assert "校车早上超员。" in section and "已加开一辆校车。" in section and shown.reference in section
    assert parent.display_name not in page


def test_school_page_never_shows_private_feedback_or_private_replies(client, db, school, parent, send):
    private = send(parent, school, status=S.ANSWERED, private=True, body="私密的意见", reply="私密的答复")
    privately_answered = send(
        parent, school, status=S.ANSWERED, body="公开的意见", reply="只给您的答复", public_reply=False
    )
    waiting = send(parent, school, body="还在等待的意见")

    page = client.get(f"/schools/{school.slug}").get_data(as_text=True)

    for text in ("私密的意见", "私密的答复", "公开的意见", "只给您的答复", "还在等待的意见"):
        assert text not in page
    for item in (private, privately_answered, waiting):
        assert item.reference not in page
    assert "Recently answered" not in client.get(f"/schools/{school.slug}", headers=ENGLISH).get_data(as_text=True)


def test_school_page_shows_only_the_three_latest_answers_and_the_latest_reply_of_each(client, db, school, parent, send):
    items = [send(parent, school, status=S.ANSWERED, body=f"意见{n}", reply=f"答复{n}") for n in range(5)]
    services.reply_to_feedback(
        None, items[0], {"reply": "补充答复", "public": True}, now=utcnow() + timedelta(seconds=5)
    )
    db.session.commit()

    page = client.get(f"/schools/{school.slug}").get_data(as_text=True)
    section = page.split('id="feedback-heading"')[1].split("</section>")[0]

    assert references(section) == [items[0].reference, items[4].reference, items[3].reference]
    assert "补充答复" in section and "答复0" not in section


def test_other_school_s_answers_are_not_shown(client, school, other_school, parent, send):
    theirs = send(parent, other_school, status=S.ANSWERED, body="别校的意见")

    assert theirs.reference not in client.get(f"/schools/{school.slug}").get_data(as_text=True)
