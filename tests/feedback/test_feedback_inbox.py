"""The school's board members and administrators work the feedback from an inbox: they filter it,
reply in public or in private, and move each item received → in progress → answered → closed.
Every change is audited; a change the item's state no longer allows changes nothing."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.domain import DomainError
from portal.feedback import services
from portal.feedback.models import STEPS, EventKind, Feedback, FeedbackEvent, FeedbackRefusal, FeedbackStatus
from tests.helpers.feedback import utc
from tests.helpers.pages import ENGLISH, HTMX, field_error, location_path

S = FeedbackStatus


def inbox_url(school, **query):
    url = f"/schools/{school.slug}/manage/feedback"
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def item_url(school, feedback, action=""):
    return f"{inbox_url(school)}/{feedback.id}" + (f"/{action}" if action else "")


def fresh(db, feedback) -> Feedback:
    db.session.remove()
    return db.session.get(Feedback, feedback.id)


def audit_events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def references(page):
    return re.findall(r">(FB-\d{4}-\d{6})</a>", page)


def refusal_notice(page) -> str | None:
    """The text of the notice at the top of the item saying why nothing was changed, or None."""
    match = re.search(r'<div class="notice notice-error" role="alert"[^>]*>\s*<p>(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


# Who may open it


def test_board_member_of_other_school_cannot_open_the_inbox(
    client, school, other_school, make_user, send, parent, login_as
):
    feedback = send(parent, school)
    login_as(make_user(role="board_member", scope=other_school))

    assert client.get(inbox_url(school)).status_code == 404
    assert client.get(item_url(school, feedback)).status_code == 404
    assert client.post(item_url(school, feedback, "reply"), data={"reply": "x"}).status_code == 404


def test_item_of_another_school_is_not_found_in_this_school_s_inbox(
    client, school, other_school, make_user, send, board_member, login_as
):
    theirs = send(make_user(), other_school)
    login_as(board_member)

    assert client.get(item_url(school, theirs)).status_code == 404
    assert (
        client.post(item_url(school, theirs, "status"), data={"status": "closed", "current": "received"}).status_code
        == 404
    )


@pytest.mark.parametrize("feedback_id", ["999999", "99999999999999999999", "0"])
def test_unknown_item_is_not_found(client, school, board_member, login_as, feedback_id):
    login_as(board_member)

    assert client.get(f"{inbox_url(school)}/{feedback_id}").status_code == 404


def test_parent_of_the_school_is_refused_the_inbox(client, school, parent, send, login_as):
    feedback = send(parent, school)
    login_as(parent)

    assert client.get(inbox_url(school)).status_code == 403
    assert (
        client.get(item_url(school, feedback)).status_code == 403
    )  # even their own: they follow it under /me/feedback


def test_moderator_above_the_school_reads_an_item_but_cannot_answer(
    client, db, school, district, make_user, parent, send, login_as
):
    feedback = send(parent, school, private=True)
    login_as(make_user(role="moderator", scope=district))

    page = client.get(item_url(school, feedback), headers=ENGLISH).get_data(as_text=True)

    assert "食堂的午餐经常是凉的。" in page
    assert "<textarea" not in page and 'name="status"' not in page
    assert client.post(item_url(school, feedback, "reply"), data={"reply": "我来回复"}).status_code == 403
    assert (
        client.post(item_url(school, feedback, "status"), data={"status": "closed", "current": "received"}).status_code
        == 403
    )
    assert client.get(inbox_url(school)).status_code == 403
    assert fresh(db, feedback).status == S.RECEIVED


def test_management_page_lists_the_inbox_for_the_board(client, school, board_member, login_as):
    login_as(board_member)

    page = client.get(f"/schools/{school.slug}/manage", headers=ENGLISH).get_data(as_text=True)

    assert f'href="{inbox_url(school)}"' in page and "Feedback inbox" in page


# The list


def test_inbox_shows_waiting_items_oldest_first_by_default(client, school, parent, board_member, send, login_as):
    now = utcnow()
    newer = send(parent, school, at=now - timedelta(days=1))
    older = send(parent, school, at=now - timedelta(days=9), status=S.IN_PROGRESS)
    oldest_answered = send(parent, school, at=now - timedelta(days=20), status=S.ANSWERED)
    login_as(board_member)

    page = client.get(inbox_url(school)).get_data(as_text=True)

    assert references(page) == [older.reference, newer.reference]
    assert oldest_answered.reference not in page


def test_inbox_with_every_status_puts_the_waiting_ones_first(client, school, parent, board_member, send, login_as):
    now = utcnow()
    closed = send(parent, school, at=now - timedelta(days=30), status=S.CLOSED)
    waiting = send(parent, school, at=now - timedelta(days=2))
    answered = send(parent, school, at=now - timedelta(days=20), status=S.ANSWERED)
    login_as(board_member)

    page = client.get(inbox_url(school, status="all")).get_data(as_text=True)

    assert references(page) == [waiting.reference, answered.reference, closed.reference]


@pytest.mark.parametrize("status", ["received", "in_progress", "answered", "closed"])
def test_inbox_filters_by_status(client, school, parent, board_member, send, login_as, status):
    items = {s: send(parent, school, status=s) for s in STEPS}  # referral: tests/supervision
    login_as(board_member)

    page = client.get(inbox_url(school, status=status)).get_data(as_text=True)

    assert references(page) == [items[S(status)].reference]


def test_inbox_filters_by_topic(client, school, parent, board_member, send, login_as):
    canteen = send(parent, school, category="canteen")
    send(parent, school, category="fees")
    login_as(board_member)

    page = client.get(inbox_url(school, category="canteen")).get_data(as_text=True)

    assert references(page) == [canteen.reference]


@pytest.mark.parametrize(
    "query",
    ["status=bogus", "category=bribery", "status=&category=", "status=%00", "page=-1", "page=abc", "page=99999"],
)
def test_forged_filters_are_ignored(client, school, parent, board_member, send, login_as, query):
    send(parent, school)
    login_as(board_member)

    response = client.get(f"{inbox_url(school)}?{query}")

    assert response.status_code == 200


def test_inbox_counts_items_per_status(client, school, parent, board_member, send, login_as):
    for status, n in ((S.RECEIVED, 3), (S.IN_PROGRESS, 2), (S.ANSWERED, 1)):
        for _ in range(n):
            send(parent, school, status=status)
    login_as(board_member)

    page = client.get(inbox_url(school), headers=ENGLISH).get_data(as_text=True)

    counts = dict(re.findall(r'feedback-count-label">([^<]+)</span> <span class="feedback-count-number">(\d+)<', page))
    assert counts == {
        "Received": "3",
        "In progress": "2",
        "Answered": "1",
        "Closed": "0",
        "Referred to the responsible supervisor": "0",
    }


def test_inbox_is_paginated_and_htmx_gets_only_the_results(client, school, parent, board_member, send, login_as):
    for _ in range(23):
        send(parent, school)
    login_as(board_member)

    first = client.get(inbox_url(school)).get_data(as_text=True)
    second = client.get(
        inbox_url(school, page=2), headers={"HX-Request": "true", "HX-Target": "feedback-inbox"}
    ).get_data(as_text=True)

    assert len(references(first)) == 20 and len(references(second)) == 3
    assert second.lstrip().startswith('<section id="feedback-inbox"') and "<html" not in second


def test_inbox_shows_an_excerpt_the_topic_and_the_sender(client, school, parent, board_member, send, login_as):
    send(parent, school, body="很长的意见" * 100, category="fees")
    login_as(board_member)

    page = client.get(inbox_url(school), headers=ENGLISH).get_data(as_text=True)

    assert "很长的意见" * 27 in page and "很长的意见" * 100 not in page
    assert "Fees and charges" in page and "家长 张伟" in page


# Replies


def test_board_member_replies_in_private_and_it_is_answered_and_audited(
    client, db, school, parent, board_member, send, login_as
):
    feedback = send(parent, school)
    login_as(board_member)

    response = client.post(
        item_url(school, feedback, "reply"),
        data={"reply": "已转交总务处。", "visibility": "private", "mark_answered": "y"},
    )

    assert response.status_code == 303
    assert location_path(response) == item_url(school, feedback)
    feedback = fresh(db, feedback)
    assert feedback.status == S.ANSWERED
    reply = next(event for event in feedback.events if event.is_reply)
    assert (reply.body, reply.public, reply.actor_id) == ("已转交总务处。", False, board_member.id)
    (audit,) = audit_events(db, "feedback.reply")
    assert (audit.actor_id, audit.object_id, audit.school_id, audit.data["public"]) == (
        board_member.id,
        feedback.id,
        school.id,
        False,
    )
    (status_audit,) = audit_events(db, "feedback.status")
    assert (status_audit.data["before"], status_audit.data["after"]) == ("received", "answered")


def test_reply_without_marking_it_answered_keeps_the_status(client, db, school, parent, school_admin, send, login_as):
    feedback = send(parent, school, status=S.IN_PROGRESS)
    login_as(school_admin)

    client.post(item_url(school, feedback, "reply"), data={"reply": "正在了解情况。", "visibility": "public"})

    feedback = fresh(db, feedback)
    assert feedback.status == S.IN_PROGRESS
    assert [event.public for event in feedback.events if event.is_reply] == [True]


def test_reply_to_a_private_item_is_never_public(client, db, school, parent, board_member, send, login_as):
    feedback = send(parent, school, private=True)
    login_as(board_member)

    page = client.get(item_url(school, feedback), headers=ENGLISH).get_data(as_text=True)
    client.post(
        item_url(school, feedback, "reply"),
        data={"reply": "这是给您的答复。", "visibility": "public", "mark_answered": "y"},
    )

    assert 'value="public"' not in page  # not even offered
    assert [event.public for event in fresh(db, feedback).events if event.is_reply] == [False]


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"reply": ""}, "reply", "Please write the reply."),
        ({"reply": "答" * 5001}, "reply", "This has 5,001 characters; it can have at most 5,000."),
        ({"reply": "答复\x00"}, "reply", "This contains characters that are not allowed."),
        ({"reply": "答复", "visibility": "everyone"}, "visibility", "Choose who may read the reply."),
    ],
)
def test_bad_reply_is_refused_and_nothing_changes(
    client, db, school, parent, board_member, send, login_as, data, field, message
):
    feedback = send(parent, school)
    login_as(board_member)

    response = client.post(item_url(school, feedback, "reply"), data={"mark_answered": "y", **data}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, field) == message
    feedback = fresh(db, feedback)
    assert feedback.status == S.RECEIVED and not [event for event in feedback.events if event.is_reply]
    assert audit_events(db, "feedback.reply") == []


def test_reply_to_a_closed_item_is_refused_with_409(client, db, school, parent, board_member, send, login_as):
    feedback = send(parent, school, status=S.CLOSED)
    login_as(board_member)

    response = client.post(
        item_url(school, feedback, "reply"), data={"reply": "补充答复。", "mark_answered": "y"}, headers=ENGLISH
    )

    assert response.status_code == 409
    assert refusal_notice(response.get_data(as_text=True)) == "This feedback is closed. Reopen it before replying."
    assert len([event for event in fresh(db, feedback).events if event.is_reply]) == 1  # the one before it was closed


# Status changes


@pytest.mark.parametrize(
    "start, target",
    [
        (S.RECEIVED, S.IN_PROGRESS),
        (S.ANSWERED, S.CLOSED),
        (S.ANSWERED, S.IN_PROGRESS),  # reopened
        (S.CLOSED, S.IN_PROGRESS),  # reopened
    ],
)
def test_valid_status_change_is_saved_on_the_timeline_and_audited(
    client, db, school, parent, board_member, send, login_as, start, target
):
    feedback = send(parent, school, status=start)
    login_as(board_member)

    response = client.post(item_url(school, feedback, "status"), data={"status": target.value, "current": start.value})

    assert response.status_code == 303
    feedback = fresh(db, feedback)
    assert feedback.status == target
    last = feedback.events[-1]
    assert (last.kind, last.status, last.actor_id) == (EventKind.STATUS_CHANGE, target, board_member.id)
    audit = audit_events(db, "feedback.status")[-1]
    assert (audit.actor_id, audit.object_id, audit.data["before"], audit.data["after"]) == (
        board_member.id,
        feedback.id,
        start.value,
        target.value,
    )


def test_closing_after_a_reply_is_allowed(client, db, school, parent, board_member, send, login_as):
    feedback = send(parent, school, status=S.IN_PROGRESS)
    login_as(board_member)
    client.post(
        item_url(school, feedback, "reply"),
        data={"reply": "与FB-2026-000001重复，已在该条中答复。", "visibility": "private"},
    )

    response = client.post(item_url(school, feedback, "status"), data={"status": "closed", "current": "in_progress"})

    assert response.status_code == 303
    assert fresh(db, feedback).status == S.CLOSED


def test_marking_answered_after_a_reply_is_allowed(client, db, school, parent, board_member, send, login_as):
    feedback = send(parent, school)
    login_as(board_member)
    client.post(item_url(school, feedback, "reply"), data={"reply": "答复。", "visibility": "private"})

    response = client.post(item_url(school, feedback, "status"), data={"status": "answered", "current": "received"})

    assert response.status_code == 303
    assert fresh(db, feedback).status == S.ANSWERED


@pytest.mark.parametrize(
    "start, target, message",
    [
        (S.RECEIVED, S.ANSWERED, "Write a reply before marking the feedback as answered."),
        # Closed without a word, the item would leave the overdue list and its sender learn nothing.
        (
            S.RECEIVED,
            S.CLOSED,
            "Write a reply before closing the feedback, so that its sender learns why it is closed.",
        ),
        (
            S.IN_PROGRESS,
            S.CLOSED,
            "Write a reply before closing the feedback, so that its sender learns why it is closed.",
        ),
        (S.RECEIVED, S.RECEIVED, "This feedback cannot move to that status from where it is now."),
        (S.IN_PROGRESS, S.RECEIVED, "This feedback cannot move to that status from where it is now."),
        (S.ANSWERED, S.ANSWERED, "This feedback cannot move to that status from where it is now."),
        (S.CLOSED, S.ANSWERED, "This feedback cannot move to that status from where it is now."),
        (S.CLOSED, S.CLOSED, "This feedback cannot move to that status from where it is now."),
    ],
)
def test_invalid_status_change_is_refused_with_409_and_nothing_changes(
    client, db, school, parent, board_member, send, login_as, start, target, message
):
    feedback = send(parent, school, status=start)
    events_before = len(feedback.events)
    audits_before = len(audit_events(db, "feedback.status"))
    login_as(board_member)

    response = client.post(
        item_url(school, feedback, "status"), data={"status": target.value, "current": start.value}, headers=ENGLISH
    )

    assert response.status_code == 409
    assert refusal_notice(response.get_data(as_text=True)) == message
    feedback = fresh(db, feedback)
    assert feedback.status == start and len(feedback.events) == events_before
    assert len(audit_events(db, "feedback.status")) == audits_before


def test_change_made_on_an_out_of_date_page_is_refused_with_409(
    client, db, school, parent, board_member, school_admin, send, login_as
):
    feedback = send(parent, school, status=S.ANSWERED)
    login_as(school_admin)
    client.post(item_url(school, feedback, "status"), data={"status": "closed", "current": "answered"})

    login_as(board_member)  # their page still shows "answered"
    response = client.post(
        item_url(school, feedback, "status"), data={"status": "in_progress", "current": "answered"}, headers=ENGLISH
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert refusal_notice(page) == (
        "Someone else changed this feedback's status in the meantime. Here it is as it is now: check it and try again."
    )
    assert "feedback-status-closed" in page  # the item as it is now
    assert fresh(db, feedback).status == S.CLOSED


@pytest.mark.parametrize(
    "start, action, data, message",
    [
        (
            S.RECEIVED,
            "status",
            {"status": "in_progress", "current": "in_progress"},  # their page was out of date
            "Someone else changed this feedback's status in the meantime. "
            "Here it is as it is now: check it and try again.",
        ),
        (
            S.RECEIVED,
            "status",
            {"status": "answered", "current": "received"},
            "Write a reply before marking the feedback as answered.",
        ),
        (
            S.CLOSED,
            "status",
            {"status": "closed", "current": "closed"},
            "This feedback cannot move to that status from where it is now.",
        ),
        (
            S.CLOSED,
            "reply",
            {"reply": "补充答复。", "mark_answered": "y"},
            "This feedback is closed. Reopen it before replying.",
        ),
    ],
)
def test_htmx_refused_change_gets_the_item_as_it_is_now_with_why(
    client, db, school, parent, board_member, send, login_as, start, action, data, message
):
    feedback = send(parent, school, status=start)
    events_before = len(feedback.events)
    login_as(board_member)

    response = client.post(item_url(school, feedback, action), data=data, headers={**HTMX, **ENGLISH})

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert page.lstrip().startswith(f'<div id="feedback-item-{feedback.id}">') and "<html" not in page
    assert refusal_notice(page) == message
    assert f"feedback-status-{start.value}" in page  # the item as it is now
    feedback = fresh(db, feedback)
    assert feedback.status == start and len(feedback.events) == events_before


def test_htmx_reply_with_mistakes_gets_the_item_with_the_messages(
    client, db, school, parent, board_member, send, login_as
):
    feedback = send(parent, school)
    login_as(board_member)

    response = client.post(
        item_url(school, feedback, "reply"), data={"reply": "", "mark_answered": "y"}, headers={**HTMX, **ENGLISH}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.lstrip().startswith(f'<div id="feedback-item-{feedback.id}">') and "<html" not in page
    assert field_error(page, "reply") == "Please write the reply."
    assert fresh(db, feedback).status == S.RECEIVED


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"status": "archived", "current": "received"},
        {"status": "closed"},
        {"status": "closed", "current": "x"},
        {"status": "", "current": ""},
    ],
)
def test_forged_status_is_refused_with_422(client, db, school, parent, board_member, send, login_as, data):
    feedback = send(parent, school)
    login_as(board_member)

    response = client.post(item_url(school, feedback, "status"), data=data, headers=ENGLISH)

    assert response.status_code == 422
    assert "Choose one of the statuses offered." in response.get_data(as_text=True)
    assert fresh(db, feedback).status == S.RECEIVED


def test_item_page_offers_only_the_allowed_changes(client, school, parent, board_member, send, login_as):
    received, answered, closed = (send(parent, school, status=s) for s in (S.RECEIVED, S.ANSWERED, S.CLOSED))
    login_as(board_member)

    def offered(feedback):
        page = client.get(item_url(school, feedback)).get_data(as_text=True)
        return re.findall(r'name="status" value="([a-z_]+)"', page)

    assert offered(received) == ["in_progress"]  # answered or closed only once there is a reply
    assert offered(answered) == ["in_progress", "closed"]
    assert offered(closed) == ["in_progress"]


def test_item_page_shows_the_timeline_with_who_did_what(client, school, parent, board_member, send, login_as):
    feedback = send(parent, school)
    login_as(board_member)
    client.post(item_url(school, feedback, "status"), data={"status": "in_progress", "current": "received"})
    client.post(
        item_url(school, feedback, "reply"), data={"reply": "已修好。", "visibility": "public", "mark_answered": "y"}
    )

    page = client.get(item_url(school, feedback), headers=ENGLISH).get_data(as_text=True)

    timeline = page.split('class="feedback-timeline"')[1].split("</ol>")[0]
    assert timeline.count('<li class="feedback-event') == 4  # received, in progress, the reply, answered
    assert "by 校务委员 刘洋" in timeline and "已修好。" in timeline and "Public" in timeline
    assert "家长 张伟" in page  # who sent it


def test_service_refuses_an_invalid_transition_on_the_model(db, school, parent, send):
    feedback = send(parent, school, status=S.CLOSED)

    with pytest.raises(DomainError) as refusal:
        feedback.move_to(S.ANSWERED)
    assert refusal.value.reason is FeedbackRefusal.INVALID_TRANSITION


@pytest.mark.parametrize(
    "start, change, reason",
    [
        (
            S.RECEIVED,
            lambda f: services.change_feedback_status(None, f, S.ANSWERED),
            FeedbackRefusal.ANSWER_NEEDS_REPLY,
        ),
        (
            S.IN_PROGRESS,
            lambda f: services.change_feedback_status(None, f, S.RECEIVED),
            FeedbackRefusal.INVALID_TRANSITION,
        ),
        (
            S.ANSWERED,
            lambda f: services.change_feedback_status(None, f, S.CLOSED, current=S.IN_PROGRESS),
            FeedbackRefusal.STATUS_CHANGED,
        ),
        (
            S.CLOSED,
            lambda f: services.reply_to_feedback(None, f, {"reply": "再答复", "public": False, "mark_answered": True}),
            FeedbackRefusal.FEEDBACK_CLOSED,
        ),
    ],
)
def test_services_refuse_with_the_reason_and_change_nothing(db, school, parent, send, start, change, reason):
    feedback = send(parent, school, status=start)
    events_before = len(feedback.events)

    with pytest.raises(DomainError) as refusal:
        change(feedback)

    assert refusal.value.reason is reason
    assert (feedback.status, len(feedback.events)) == (start, events_before)


@pytest.mark.parametrize("reason", list(FeedbackRefusal))
def test_every_refusal_has_words_for_the_person_who_tried(app, reason):
    with app.test_request_context(headers=ENGLISH):
        assert DomainError(reason).message.strip()


def test_timeline_is_append_only(db, school, parent, send):
    from portal.feedback.models import FeedbackTimelineIsAppendOnly

    feedback = send(parent, school)
    (event,) = feedback.events
    event.body = "改写历史"

    with pytest.raises(FeedbackTimelineIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_each_change_keeps_its_own_time(db, school, parent, send):
    feedback = send(parent, school, at=utc(2026, 3, 1, 2))
    services.change_feedback_status(None, feedback, S.IN_PROGRESS, now=utc(2026, 3, 2, 2))
    services.reply_to_feedback(
        None, feedback, {"reply": "好", "public": False, "mark_answered": True}, now=utc(2026, 3, 5, 2)
    )

    assert [event.created_at for event in feedback.events] == [
        utc(2026, 3, 1, 2),
        utc(2026, 3, 2, 2),
        utc(2026, 3, 5, 2),
        utc(2026, 3, 5, 2),
    ]
    assert feedback.replied_at == utc(2026, 3, 5, 2)
    assert [
        e.kind
        for e in db.session.scalars(
            select(FeedbackEvent).where(FeedbackEvent.feedback_id == feedback.id).order_by(FeedbackEvent.id)
        )
    ] == [EventKind.STATUS_CHANGE, EventKind.STATUS_CHANGE, EventKind.REPLY, EventKind.STATUS_CHANGE]
