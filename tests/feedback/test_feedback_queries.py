"""The inbox, an item's page and /me/feedback keep to a fixed number of queries, however many
items and steps there are: a busy school's inbox must not get slower with every message."""

import pytest

from portal.feedback import services
from portal.feedback.models import FeedbackStatus
from tests.helpers.feedback import token

S = FeedbackStatus


def fill(db, school, author, answerer, n):
    """`n` items, each moved on a few steps with two replies, so every page has timelines to show."""
    for k in range(n):
        feedback = services.send_feedback(
            author,
            school,
            {"category": "canteen", "body": f"意见{k}", "private": k % 2 == 0, "submission_token": token()},
        )
        services.change_feedback_status(answerer, feedback, S.IN_PROGRESS)
        services.reply_to_feedback(answerer, feedback, {"reply": "正在处理。", "public": False})
        services.reply_to_feedback(
            answerer, feedback, {"reply": "已处理。", "public": True, "mark_answered": k % 3 == 0}
        )
    db.session.commit()
    db.session.remove()


def queries_for(client, count_queries, url):
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/me/feedback", "/me/feedback?page=2"])
def test_my_feedback_takes_the_same_queries_for_3_items_as_for_30(
    client, db, school, other_school, parent, board_member, login_as, count_queries, url
):
    fill(db, school, parent, board_member, 3)
    login_as(parent)
    few = queries_for(client, count_queries, "/me/feedback")

    fill(db, other_school, parent, board_member, 27)
    many = queries_for(client, count_queries, url)

    assert many == few
    assert many <= 6


def test_inbox_takes_the_same_queries_for_3_items_as_for_30(
    client, db, school, parent, board_member, login_as, count_queries
):
    fill(db, school, parent, board_member, 3)
    login_as(board_member)
    few = queries_for(client, count_queries, f"/schools/{school.slug}/manage/feedback?status=all")

    fill(db, school, parent, board_member, 27)
    many = queries_for(client, count_queries, f"/schools/{school.slug}/manage/feedback?status=all")

    assert many == few
    assert many <= 8  # with the board member's seats at the school, asked once (is their term running?)


def test_item_page_takes_the_same_queries_whatever_its_timeline(
    client, db, school, parent, board_member, login_as, count_queries
):
    fill(db, school, parent, board_member, 1)
    short = services.my_feedback(parent).items[0]
    # Both still waiting, so both pages count their waiting days (the working calendar: one query).
    services.change_feedback_status(board_member, short, S.IN_PROGRESS)
    long = services.send_feedback(
        parent, school, {"category": "fees", "body": "收费", "private": False, "submission_token": token()}
    )
    for _ in range(10):
        services.reply_to_feedback(board_member, long, {"reply": "补充说明。", "public": False})
    db.session.commit()
    login_as(board_member)

    few = queries_for(client, count_queries, f"/schools/{school.slug}/manage/feedback/{short.id}")
    many = queries_for(client, count_queries, f"/schools/{school.slug}/manage/feedback/{long.id}")

    assert many == few
    assert many <= 8  # with the board member's seats at the school, asked once (is their term running?)


def test_school_page_answers_take_one_query(db, school, parent, board_member, count_queries):
    fill(db, school, parent, board_member, 10)

    with count_queries() as queries:
        answered = services.recently_answered(school)
        for item in answered:
            assert item.feedback.category.label and item.reply and item.feedback.reference

    assert len(answered) == 3
    assert len(queries) == 1
