"""Anyone with an account sends feedback to a school from its page and gets a tracking reference
at once; what they typed is stored as typed and shown as text; one form makes one item."""

import html
import re
import unicodedata

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.domain import DomainError
from portal.feedback import services
from portal.feedback.models import (
    EventKind,
    Feedback,
    FeedbackCategory,
    FeedbackEvent,
    FeedbackRefusal,
    FeedbackStatus,
)
from tests.helpers.feedback import form_data, token
from tests.helpers.pages import ENGLISH, HTMX, field_error, location_path

REFERENCE = re.compile(r"FB-\d{4}-\d{6}")


def feedback_url(school):
    return f"/schools/{school.slug}/feedback"


def count(db, model=Feedback):
    return db.session.scalar(select(func.count()).select_from(model))


def only_item(db) -> Feedback:
    db.session.remove()
    (feedback,) = db.session.scalars(select(Feedback)).all()
    return feedback


def textarea(page: str, field_id: str) -> str:
    match = re.search(rf'<textarea[^>]*\bid="{field_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, f"no textarea {field_id}"
    return html.unescape(match.group(1)).removeprefix("\n").removeprefix("\r\n")


# The happy path


def test_parent_sends_feedback_and_gets_a_tracking_reference(client, db, school, parent, login_as):
    login_as(parent)

    response = client.post(
        feedback_url(school),
        data=form_data(category="safety", body="放学时校门口车辆太多，孩子过马路很危险。"),
        headers=ENGLISH,
    )

    feedback = only_item(db)
    assert response.status_code == 303
    assert location_path(response) == f"/me/feedback/{feedback.id}"
    assert REFERENCE.fullmatch(feedback.reference)
    assert (feedback.school_id, feedback.author_id, feedback.category, feedback.private) == (
        school.id,
        parent.id,
        FeedbackCategory.SAFETY,
        False,
    )
    assert feedback.status == FeedbackStatus.RECEIVED
    page = client.get(location_path(response), headers=ENGLISH).get_data(as_text=True)
    assert feedback.reference in page
    assert "Your tracking reference:" in page
    assert "has received your feedback" in page  # the confirmation, shown at once
    assert "放学时校门口车辆太多，孩子过马路很危险。" in page


def test_sending_starts_the_timeline_and_is_audited(client, db, school, parent, login_as):
    login_as(parent)

    client.post(feedback_url(school), data=form_data(private="y"))

    feedback = only_item(db)
    (event,) = feedback.events
    assert (event.kind, event.status, event.actor_id) == (EventKind.STATUS_CHANGE, FeedbackStatus.RECEIVED, parent.id)
    (audit,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "feedback.send")).all()
    assert (audit.actor_id, audit.object_type, audit.object_id, audit.school_id) == (
        parent.id,
        "Feedback",
        feedback.id,
        school.id,
    )
    assert audit.data["reference"] == feedback.reference and audit.data["private"] is True


def test_school_page_links_to_its_suggestion_box(client, school):
    page = client.get(f"/schools/{school.slug}").get_data(as_text=True)

    assert f'href="{feedback_url(school)}"' in page


def test_my_account_page_links_to_my_feedback(client, parent, login_as):
    login_as(parent)

    assert 'href="/me/feedback"' in client.get("/me").get_data(as_text=True)


def test_staff_of_the_school_may_send_feedback_too(client, db, school, board_member, login_as):
    login_as(board_member)

    assert client.post(feedback_url(school), data=form_data()).status_code == 303
    assert count(db) == 1


def test_person_without_any_role_may_send_feedback(client, db, school, make_user, login_as):
    login_as(make_user())

    assert client.post(feedback_url(school), data=form_data()).status_code == 303


# Visitors


def test_visitor_is_told_what_the_box_is_and_asked_to_log_in(client, school):
    response = client.get(feedback_url(school), headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Log in to send feedback" in page
    assert f'href="/login?next=/schools/{school.slug}/feedback"' in page
    assert "<textarea" not in page


def test_visitor_posting_is_sent_to_log_in_and_nothing_is_saved(client, db, school):
    response = client.post(feedback_url(school), data=form_data())

    assert response.status_code == 302
    assert location_path(response).startswith("/login?next=")
    assert count(db) == 0


def test_unknown_school_has_no_suggestion_box(client, parent, login_as):
    login_as(parent)

    assert client.get("/schools/no-such-school/feedback").status_code == 404
    assert client.post("/schools/no-such-school/feedback", data=form_data()).status_code == 404


# The form


def test_form_offers_the_six_topics_and_a_private_choice(client, school, parent, login_as):
    login_as(parent)

    page = client.get(feedback_url(school), headers=ENGLISH).get_data(as_text=True)

    options = re.findall(r'<option[^>]*value="([a-z_]*)"', page)
    assert options == ["", "teaching", "safety", "canteen", "fees", "facilities", "other"]
    assert "<textarea" in page and 'maxlength="5000"' in page
    assert 'type="checkbox"' in page and 'name="private"' in page
    assert re.search(r'name="submission_token" type="hidden" value="[0-9a-f]{32}"', page)


def test_every_showing_of_the_form_carries_a_new_submission_token(client, school, parent, login_as):
    login_as(parent)

    tokens = {
        re.search(
            r'name="submission_token" type="hidden" value="([0-9a-f]{32})"',
            client.get(feedback_url(school)).get_data(as_text=True),
        ).group(1)
        for _ in range(3)
    }

    assert len(tokens) == 3


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"body": ""}, "body", "Please write your feedback."),
        ({"body": " \n\t \u3000"}, "body", "Please write your feedback."),  # only spaces (an ideographic one too)
        ({"body": "食" * 5001}, "body", "This has 5,001 characters; it can have at most 5,000."),
        ({"body": "食堂\x00"}, "body", "This contains characters that are not allowed."),
        (
            {"body": "evil\u202egro.elpmaxe"},
            "body",
            "This contains characters that are not allowed.",
        ),  # right-to-left override
        ({"category": ""}, "category", "Please choose what your feedback is about."),
        ({"category": "bribery"}, "category", "Please choose what your feedback is about."),  # forged
        ({"category": "CANTEEN"}, "category", "Please choose what your feedback is about."),
    ],
)
def test_bad_feedback_is_refused_beside_the_field_and_nothing_is_saved(
    client, db, school, parent, login_as, changes, field, message
):
    login_as(parent)

    response = client.post(feedback_url(school), data=form_data(**changes), headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, field) == message
    assert count(db) == 0


def test_text_over_the_limit_is_kept_in_the_form(client, db, school, parent, login_as):
    login_as(parent)
    too_long = "作业太多了。" * 1000  # 6,000 characters

    page = client.post(feedback_url(school), data=form_data(body=too_long, private="y"), headers=ENGLISH).get_data(
        as_text=True
    )

    assert textarea(page, "body") == too_long
    assert re.search(r'<option selected value="canteen">|<option value="canteen" selected>', page)
    assert re.search(r'<input[^>]*checked[^>]*name="private"|<input[^>]*name="private"[^>]*checked', page)


def test_form_with_mistakes_keeps_its_submission_token(client, school, parent, login_as):
    login_as(parent)
    data = form_data(body="")

    page = client.post(feedback_url(school), data=data).get_data(as_text=True)

    assert f'value="{data["submission_token"]}"' in page


def test_htmx_gets_the_form_alone_with_its_messages(client, school, parent, login_as):
    login_as(parent)

    response = client.post(feedback_url(school), data=form_data(body=""), headers={**HTMX, **ENGLISH})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.lstrip().startswith('<div id="feedback-form">') and "<html" not in page
    assert field_error(page, "body") == "Please write your feedback."


def test_htmx_is_sent_on_to_the_reference_once_sent(client, db, school, parent, login_as):
    login_as(parent)

    response = client.post(feedback_url(school), data=form_data(), headers=HTMX)

    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/me/feedback/{only_item(db).id}"


# What people type


@pytest.mark.parametrize(
    "body",
    [
        '<script>alert("x")</script>食堂',
        '<div hx-get="/logout" hx-trigger="load">点我</div>',
        "{{ 7*7 }} {% raw %}",
        "零\u200b宽\u200c字\u200d符\ufeff",  # zero-width space, non-joiner, joiner, BOM
        "谢谢老师！👍🏽👨‍👩‍👧 𠜎",  # emoji with skin tone, a family (joined), a character outside the BMP
        "العربية עברית mixed with 中文",  # right-to-left scripts themselves are fine
        "校" * 5000,  # exactly the limit
    ],
)
def test_whatever_is_typed_is_stored_as_typed_and_shown_as_text_everywhere(
    client, db, school, parent, board_member, login_as, send, body
):
    login_as(parent)

    response = client.post(feedback_url(school), data=form_data(body=body, category="other"))

    assert response.status_code == 303
    feedback = only_item(db)
    assert feedback.body == body
    services.reply_to_feedback(None, feedback, {"reply": body, "public": True, "mark_answered": True})
    db.session.commit()
    shown = str(escape(body))
    pages = [client.get(f"/me/feedback/{feedback.id}"), client.get("/me/feedback")]
    login_as(board_member)
    pages += [
        client.get(f"/schools/{school.slug}/manage/feedback?status=all"),
        client.get(f"/schools/{school.slug}/manage/feedback/{feedback.id}"),
    ]
    pages.append(client.get(f"/schools/{school.slug}"))
    for page in (response.get_data(as_text=True) for response in pages):
        assert "<script>alert" not in page and 'hx-get="/logout"' not in page
        assert shown in page or shown[:100] in page  # the inbox and the school page show the beginning


def test_text_is_stored_normalised_to_nfc(client, db, school, parent, login_as):
    login_as(parent)
    decomposed = "Cafe\u0301 食堂"  # é as e + combining acute accent

    client.post(feedback_url(school), data=form_data(body=decomposed))

    assert only_item(db).body == unicodedata.normalize("NFC", decomposed) == "Café 食堂"


def test_line_breaks_are_kept_and_surrounding_space_trimmed(client, db, school, parent, login_as):
    login_as(parent)

    client.post(feedback_url(school), data=form_data(body="  第一点：食堂。\r\n\r\n第二点：校车。  \n"))

    assert only_item(db).body == "第一点：食堂。\n\n第二点：校车。"


def test_five_thousand_characters_with_windows_line_breaks_fit(client, db, school, parent, login_as):
    """A browser counts a line break as one character for maxlength but sends it as \\r\\n."""
    login_as(parent)
    body = ("校" * 99 + "\r\n") * 50  # 5,000 characters as typed

    assert client.post(feedback_url(school), data=form_data(body=body)).status_code == 303


# Mass assignment and forged fields


def test_posted_status_school_reference_and_author_are_ignored(
    client, db, school, other_school, parent, make_user, login_as
):
    login_as(parent)
    someone = make_user()

    client.post(
        feedback_url(school),
        data=form_data(
            status="closed",
            school_id=str(other_school.id),
            reference="FB-1999-000001",
            year="1999",
            sequence="1",
            author_id=str(someone.id),
            replied_at="2020-01-01",
        ),
    )

    feedback = only_item(db)
    assert feedback.status == FeedbackStatus.RECEIVED
    assert feedback.school_id == school.id
    assert feedback.reference != "FB-1999-000001" and feedback.year != 1999
    assert feedback.author_id == parent.id
    assert feedback.replied_at is None


def test_service_reads_only_what_the_sender_may_choose(db, school, other_school, parent):
    feedback = services.send_feedback(
        parent,
        school,
        {
            "category": "fees",
            "body": "收费",
            "private": False,
            "submission_token": token(),
            "status": "closed",
            "school_id": other_school.id,
            "reference": "FB-1-1",
        },
    )

    assert (feedback.status, feedback.school_id) == (FeedbackStatus.RECEIVED, school.id)
    assert feedback.reference.startswith("FB-")


@pytest.mark.parametrize("forged", ["", "abc", "0" * 31, "G" * 32, "'; DROP TABLE feedback; --", "0" * 33])
def test_form_without_a_proper_submission_token_is_refused_and_kept(client, db, school, parent, login_as, forged):
    login_as(parent)

    response = client.post(
        feedback_url(school), data=form_data(submission_token=forged, body="校车超员。"), headers=ENGLISH
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "nothing was sent" in page
    assert textarea(page, "body") == "校车超员。"
    assert re.search(
        r'name="submission_token" type="hidden" value="[0-9a-f]{32}"', page
    )  # a fresh one, to send it again
    assert count(db) == 0


# Double submission


def test_double_submission_makes_one_item(client, db, school, parent, login_as):
    login_as(parent)
    data = form_data()

    first = client.post(feedback_url(school), data=data)
    second = client.post(feedback_url(school), data=data)  # a second click, or the back button and send again
    retried = client.post(feedback_url(school), data=data, headers=HTMX)  # htmx retrying the request

    assert count(db) == 1
    assert count(db, FeedbackEvent) == 1
    assert location_path(first) == location_path(second) == retried.headers["HX-Redirect"]
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "feedback.send")) == 1
    )


def test_double_submission_with_mistakes_then_corrected_makes_one_item(client, db, school, parent, login_as):
    login_as(parent)
    data = form_data(body="")

    client.post(feedback_url(school), data=data)
    data["body"] = "改好了。"
    client.post(feedback_url(school), data=data)
    client.post(feedback_url(school), data=data)

    assert count(db) == 1


def test_two_forms_make_two_items_with_consecutive_references(client, db, school, parent, login_as):
    login_as(parent)

    client.post(feedback_url(school), data=form_data())
    client.post(feedback_url(school), data=form_data())  # the same text, from a new form: sent on purpose

    first, second = db.session.scalars(select(Feedback).order_by(Feedback.id)).all()
    assert second.sequence == first.sequence + 1


def test_same_form_sent_again_with_another_text_is_refused_and_the_text_kept(client, db, school, parent, login_as):
    login_as(parent)
    data = form_data()
    client.post(feedback_url(school), data=data)
    earlier = only_item(db)

    response = client.post(feedback_url(school), data={**data, "body": "还有一件事：校车。"}, headers=ENGLISH)

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "<html" in page and "Send feedback to the school" in page  # the whole page, with the form
    assert "This form was already sent, with another text: it is feedback" in page
    assert earlier.reference in page and f'href="/me/feedback/{earlier.id}"' in page
    assert textarea(page, "body") == "还有一件事：校车。"
    fresh = re.search(r'name="submission_token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    assert fresh != data["submission_token"]
    assert count(db) == 1
    assert (
        client.post(
            feedback_url(school), data={**data, "body": "还有一件事：校车。", "submission_token": fresh}
        ).status_code
        == 303
    )
    assert count(db) == 2


def test_one_token_is_one_item_only_for_its_own_sender(client, db, school, parent, other_parent, login_as):
    """Tokens are per account: someone else's token (guessed or copied) neither shows nor blocks their item."""
    data = form_data()
    login_as(parent)
    client.post(feedback_url(school), data=data)

    login_as(other_parent)
    response = client.post(feedback_url(school), data=data)

    assert response.status_code == 303
    assert count(db) == 2


def test_two_requests_of_one_form_at_the_same_moment_make_one_item(db, school, parent, monkeypatch):
    """The second request looked for the token before the first one's item existed; the unique
    (author, token) stops its insert, and it answers with the first one's item."""
    data = {"category": "canteen", "body": "食堂", "private": False, "submission_token": token()}
    first = services.send_feedback(parent, school, data)
    db.session.commit()
    looked = []
    real = services.sent_with_token

    def not_yet_there(author, token):
        looked.append(token)
        return None if len(looked) == 1 else real(author, token)

    monkeypatch.setattr(services, "sent_with_token", not_yet_there)

    second = services.send_feedback(parent, school, data)
    db.session.commit()

    assert second.id == first.id
    assert count(db) == 1
    # The number the losing request took was given back with its savepoint.
    third = services.send_feedback(parent, school, {**data, "submission_token": token()})
    assert third.sequence == first.sequence + 1


def test_service_refuses_the_same_token_with_another_text(db, school, parent):
    data = {"category": "canteen", "body": "食堂", "private": False, "submission_token": token()}
    services.send_feedback(parent, school, data)

    with pytest.raises(DomainError) as refusal:
        services.send_feedback(parent, school, {**data, "private": True})

    assert refusal.value.reason is FeedbackRefusal.FORM_ALREADY_SENT


# Rate limits


def test_sending_is_limited_per_account(
    app, client, db, school, parent, other_parent, login_as, rate_limits, monkeypatch
):
    monkeypatch.setitem(app.config, "PORTAL_FEEDBACK_LIMIT_PER_ACCOUNT", "3 per hour")
    login_as(parent)

    statuses = [client.post(feedback_url(school), data=form_data()).status_code for _ in range(4)]

    assert statuses == [303, 303, 303, 429]
    assert count(db) == 3
    login_as(other_parent)  # another account, from the same address, is not held back
    assert client.post(feedback_url(school), data=form_data()).status_code == 303


def test_forms_with_mistakes_do_not_use_up_the_limit(
    app, client, db, school, parent, login_as, rate_limits, monkeypatch
):
    monkeypatch.setitem(app.config, "PORTAL_FEEDBACK_LIMIT_PER_ACCOUNT", "2 per hour")
    login_as(parent)

    for _ in range(5):
        assert client.post(feedback_url(school), data=form_data(body="")).status_code == 422

    assert client.post(feedback_url(school), data=form_data()).status_code == 303


def test_htmx_is_shown_that_the_form_was_already_sent_in_the_form_it_sent(client, db, school, parent, login_as):
    """409, and the form alone (what htmx swaps for #feedback-form), with the message and the text kept."""
    login_as(parent)
    data = form_data()
    client.post(feedback_url(school), data=data)
    earlier = only_item(db)

    response = client.post(feedback_url(school), data={**data, "body": "另一件事。"}, headers={**HTMX, **ENGLISH})

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert page.lstrip().startswith('<div id="feedback-form">') and "<html" not in page
    assert "This form was already sent, with another text: it is feedback" in page
    assert earlier.reference in page and f'href="/me/feedback/{earlier.id}"' in page
    assert textarea(page, "body") == "另一件事。"
    fresh = re.search(r'name="submission_token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    assert fresh != data["submission_token"]
    assert count(db) == 1
