"""Responding to a consultation: once, edited until it closes (earlier versions kept), as a plain
POST or with htmx; and every way it can go wrong — dates, audience, empty or too long, forged
questions and fields, hostile text, double submission — with nothing wrong ever stored."""

import csv
import html
import io
import re
import unicodedata

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.consultations import responses as response_services
from portal.consultations.models import Consultation, Phase, Response, ResponseState
from tests.helpers.pages import ENGLISH, HTMX, field_error, location_path, log_in


def respond_url(consultation) -> str:
    return f"/consultations/{consultation.id}/response"


def form_data(consultation, stance="support", body="同意调整，孩子可以多运动。", **extra):
    single, multiple, text = consultation.questions
    return {
        "stance": stance,
        "body": body,
        f"answer_{single.id}": "1",
        f"answer_{multiple.id}": ["0", "2"],
        f"answer_{text.id}": "希望增加篮球。",
        **extra,
    }


def responses_of(db, consultation) -> list[Response]:
    return list(db.session.scalars(select(Response).where(Response.consultation_id == consultation.id)))


def textarea(page: str, field_id: str) -> str | None:
    match = re.search(rf'<textarea[^>]*\bid="{re.escape(field_id)}"[^>]*>(.*?)</textarea>', page, re.S)
    # WTForms starts a textarea with a line break, which browsers drop.
    return html.unescape(match.group(1)).removeprefix("\r\n").removeprefix("\n") if match else None


@pytest.fixture
def consultation(make_consultation):
    return make_consultation(audience="parents")


def test_parent_responds_and_sees_it_awaiting_moderation(client, db, consultation, parent, make_user):
    log_in(client, parent)

    response = client.post(respond_url(consultation), data=form_data(consultation), headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == f"/consultations/{consultation.id}"  # the #respond anchor is kept by the browser
    assert response.headers["Location"].endswith("#respond")
    (stored,) = responses_of(db, consultation)
    single, multiple, text = consultation.questions
    assert stored.author_id == parent.id and stored.stance.value == "support" and stored.state == ResponseState.PENDING
    assert stored.answers == {str(single.id): 1, str(multiple.id): [0, 2], str(text.id): "希望增加篮球。"}
    assert stored.show_name is False
    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)
    assert "Awaiting moderation" in page and "Your response is saved" in page
    assert textarea(page, "body") == "同意调整，孩子可以多运动。"  # the form holds it, ready to be changed
    log_in(client, make_user(role="parent", scope=consultation.school))
    other = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)
    assert "同意调整，孩子可以多运动。" not in other


def test_htmx_response_comes_back_as_the_respond_fragment(client, db, consultation, parent):
    log_in(client, parent)

    response = client.post(
        respond_url(consultation), data=form_data(consultation, show_name="y"), headers={**HTMX, **ENGLISH}
    )

    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="respond"') and "<html" not in fragment
    assert "Awaiting moderation" in fragment and 'role="status"' in fragment
    assert "Save my changes" in fragment
    assert responses_of(db, consultation)[0].show_name is True


def test_a_second_response_edits_the_first_and_keeps_the_earlier_version(client, db, consultation, parent):
    log_in(client, parent)
    client.post(respond_url(consultation), data=form_data(consultation, body="第一次"))

    client.post(respond_url(consultation), data=form_data(consultation, stance="oppose", body="改主意了"))

    (stored,) = responses_of(db, consultation)
    assert stored.stance.value == "oppose" and stored.body == "改主意了"
    assert [(version.stance.value, version.body) for version in stored.versions] == [("support", "第一次")]
    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)
    assert "You have changed it once; the earlier version is kept." in page


def test_an_edit_of_a_published_response_awaits_moderation_again(client, db, consultation, parent, make_response):
    make_response(consultation, parent, publish=True)
    log_in(client, parent)

    client.post(respond_url(consultation), data=form_data(consultation, body="补充一点"))

    assert responses_of(db, consultation)[0].state == ResponseState.PENDING
    assert response_services.results(db.session.get(Consultation, consultation.id)).published == 0


BACK_TO_MODERATORS = "Saving your changes sends your response back to the moderators"
AGAIN_TO_MODERATORS = "Saving your changes sends your response to the moderators again"


def test_the_form_says_before_saving_that_an_edit_of_a_published_response_goes_back_to_the_moderators(
    client, db, consultation, parent, make_response
):
    make_response(consultation, parent, publish=True)
    log_in(client, parent)

    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)

    assert BACK_TO_MODERATORS in page
    assert 'id="response-submit" aria-describedby="edit-moderation-notice"' in page


@pytest.mark.parametrize(
    "moderation, published, taken_down, notice",
    [
        ("pre", False, None, AGAIN_TO_MODERATORS),  # awaiting a moderator: it still does after the edit
        ("post", True, None, None),  # an edit is published at once, as the response was
        ("post", True, "hide", AGAIN_TO_MODERATORS),  # an edit never republishes what a moderator took down
    ],
)
def test_the_form_says_what_an_edit_does_under_each_kind_of_moderation(
    client, db, make_consultation, parent, make_response, moderation, published, taken_down, notice
):
    from portal.moderation import services as moderation_services

    consultation = make_consultation(audience="parents", moderation=moderation)
    response = make_response(consultation, parent, publish=published)
    if taken_down:
        moderation_services.moderate(None, response, taken_down, "spam")
        db.session.commit()
    log_in(client, parent)

    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)

    for message in (BACK_TO_MODERATORS, AGAIN_TO_MODERATORS):
        assert (message in page) == (message == notice), message
    client.post(respond_url(consultation), data=form_data(consultation, body="补充一点"))
    edited = responses_of(db, consultation)[0]
    assert edited.state == (ResponseState.PENDING if notice else ResponseState.PUBLISHED)


def test_a_first_response_says_nothing_about_going_back_to_the_moderators(client, consultation, parent):
    log_in(client, parent)

    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)

    assert BACK_TO_MODERATORS not in page and AGAIN_TO_MODERATORS not in page


def test_post_moderated_consultation_publishes_at_once(client, db, make_consultation, parent):
    consultation = make_consultation(moderation="post")
    log_in(client, parent)

    client.post(
        respond_url(consultation), data=form_data(consultation), headers=ENGLISH
    )  # the message is flashed in English

    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)
    assert "Your response is saved and published." in page
    assert '<p class="response-body text-block" dir="auto">同意调整，孩子可以多运动。</p>' in page


@pytest.mark.parametrize("phase, message", [(Phase.SCHEDULED, "is not open yet"), (Phase.CLOSED, "closed on")])
def test_responding_outside_the_dates_is_refused_with_409_and_nothing_stored(
    client, db, make_consultation, parent, phase, message
):
    consultation = make_consultation(phase)
    log_in(client, parent)

    response = client.post(respond_url(consultation), data=form_data(consultation), headers=ENGLISH)

    assert response.status_code == 409
    assert message in response.get_data(as_text=True) and "Nothing was saved." in response.get_data(as_text=True)
    assert responses_of(db, consultation) == []


def test_editing_after_closing_is_refused_and_the_response_stays_as_it_was(
    client, db, make_consultation, make_response, parent
):
    consultation = make_consultation(Phase.CLOSED)
    make_response(consultation, parent, body="关闭前写的")
    log_in(client, parent)

    response = client.post(respond_url(consultation), data=form_data(consultation, body="关闭后想改"))

    assert response.status_code == 409
    (stored,) = responses_of(db, consultation)
    assert stored.body == "关闭前写的" and stored.versions == []


def test_htmx_refusal_swaps_in_the_respond_part_as_it_is_now_with_the_reason(client, db, make_consultation, parent):
    consultation = make_consultation(Phase.CLOSED)
    log_in(client, parent)

    response = client.post(respond_url(consultation), data=form_data(consultation), headers={**HTMX, **ENGLISH})

    assert response.status_code == 409  # base.html's htmx swaps a 409 like a 422
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and 'id="respond"' in fragment
    assert "closed on" in fragment and "Nothing was saved." in fragment
    assert "Responses are no longer accepted" in fragment
    assert responses_of(db, consultation) == []


def test_someone_outside_the_audience_gets_403_explaining_the_invitation_code(client, db, consultation, resident):
    log_in(client, resident)

    response = client.post(respond_url(consultation), data=form_data(consultation), headers=ENGLISH)

    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Only verified parents of First Test Primary School can respond" in page
    assert "invitation code" in page and 'href="/me#invitation-heading"' in page
    assert responses_of(db, consultation) == []


def test_visitor_is_asked_to_log_in(client, db, consultation):
    response = client.post(respond_url(consultation), data=form_data(consultation))

    assert response.status_code == 302 and location_path(response).startswith("/login?next=")
    assert responses_of(db, consultation) == []


def test_draft_consultation_cannot_be_responded_to_it_is_not_found(client, db, make_consultation, parent):
    consultation = make_consultation(Phase.DRAFT)
    log_in(client, parent)

    assert client.post(respond_url(consultation), data=form_data(consultation)).status_code == 404


@pytest.mark.parametrize("stance", ["", "maybe", "SUPPORT", "published"])
def test_a_stance_is_required_and_the_text_is_kept(client, db, consultation, parent, stance):
    log_in(client, parent)

    response = client.post(
        respond_url(consultation), data=form_data(consultation, stance=stance, body="我的意见"), headers=ENGLISH
    )

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "stance") == "Choose whether you support the proposal, oppose it or are neutral."
    assert textarea(page, "body") == "我的意见"
    assert 'href="#stance"' in page  # the summary leads to the question
    assert responses_of(db, consultation) == []


def test_text_over_the_limit_is_refused_and_kept_in_the_form(client, db, consultation, parent):
    log_in(client, parent)
    too_long = "长" * 5001

    response = client.post(respond_url(consultation), data=form_data(consultation, body=too_long), headers=ENGLISH)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "body") == "This has 5,001 characters; it can have at most 5,000."
    assert textarea(page, "body") == too_long
    assert "1 too many" not in page  # the message beside the field says it; the counter only counts
    assert "5,001 of 5,000 characters" in page
    assert responses_of(db, consultation) == []


def test_htmx_gets_the_form_with_its_messages_as_422(client, db, consultation, parent):
    log_in(client, parent)

    response = client.post(
        respond_url(consultation), data=form_data(consultation, stance=""), headers={**HTMX, **ENGLISH}
    )

    assert response.status_code == 422
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="respond"')
    assert 'class="error-summary" role="alert"' in fragment


def test_5000_chinese_characters_are_stored_exactly(client, db, consultation, parent):
    log_in(client, parent)
    text = ("课后服务时间调整意见" * 500)[:5000]

    assert client.post(respond_url(consultation), data=form_data(consultation, body=text)).status_code == 303

    assert responses_of(db, consultation)[0].body == text


def test_unknown_questions_are_ignored_and_never_stored(client, db, consultation, parent, make_consultation):
    other = make_consultation()
    log_in(client, parent)

    data = form_data(consultation, **{"answer_999999": "伪造", f"answer_{other.questions[0].id}": "1", "answer_x": "2"})
    assert client.post(respond_url(consultation), data=data).status_code == 303

    assert set(responses_of(db, consultation)[0].answers) == {str(question.id) for question in consultation.questions}


@pytest.mark.parametrize("question_index, value", [(0, "7"), (0, "-1"), (0, "x"), (1, ["1", "99"]), (1, ["一"])])
def test_choices_that_do_not_exist_get_a_message_and_nothing_is_stored(
    client, db, consultation, parent, question_index, value
):
    question = consultation.questions[question_index]
    log_in(client, parent)

    response = client.post(
        respond_url(consultation), data=form_data(consultation, **{f"answer_{question.id}": value}), headers=ENGLISH
    )

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), f"answer_{question.id}") == "Choose one of the options offered."
    assert responses_of(db, consultation) == []


def test_posted_status_state_consultation_and_author_are_ignored(
    client, db, consultation, parent, make_consultation, make_user
):
    other = make_consultation()
    someone_else = make_user()
    log_in(client, parent)

    data = form_data(
        consultation,
        status="published",
        state="published",
        consultation_id=str(other.id),
        author_id=str(someone_else.id),
        published_at="2020-01-01",
        id="1",
    )
    assert client.post(respond_url(consultation), data=data).status_code == 303

    (stored,) = responses_of(db, consultation)
    assert stored.state == ResponseState.PENDING and stored.author_id == parent.id and stored.published_at is None
    assert responses_of(db, other) == []


def test_control_characters_are_refused_with_a_message(client, db, consultation, parent):
    log_in(client, parent)

    response = client.post(
        respond_url(consultation), data=form_data(consultation, body="空字符\x00在这里"), headers=ENGLISH
    )

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "body") == "This contains characters that are not allowed."
    assert responses_of(db, consultation) == []


HOSTILE = (
    '<script>alert("x")</script> <b hx-get="/logout" hx-trigger="load">粗体</b> '
    "\u202eevil\u202c 零\u200b宽\u200d字符 😀👨\u200d👩\u200d👧 cafe\u0301 =1+1"
)


def test_hostile_text_is_stored_as_typed_in_nfc_and_shown_as_text_everywhere(client, db, make_consultation, parent):
    consultation = make_consultation(moderation="post")  # published at once: it shows in the list and the exports
    text_question = consultation.questions[2]
    log_in(client, parent)

    fragment = client.post(
        respond_url(consultation),
        data=form_data(consultation, body=HOSTILE, **{f"answer_{text_question.id}": HOSTILE}),
        headers=HTMX,
    ).get_data(as_text=True)

    (stored,) = responses_of(db, consultation)
    expected = unicodedata.normalize("NFC", HOSTILE)
    assert stored.body == expected and stored.answers[str(text_question.id)] == expected
    assert "café" in stored.body and "\u202e" in stored.body and "\u200b" in stored.body
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    more = client.get(
        f"/consultations/{consultation.id}/responses", headers={**HTMX, "HX-Target": "response-list"}
    ).get_data(as_text=True)
    for shown in (fragment, page, more):
        assert "<script>alert" not in shown and '<b hx-get="/logout"' not in shown
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in shown
    assert '<p class="response-body text-block" dir="auto">&lt;script&gt;' in page
    rows = list(
        csv.reader(io.StringIO(client.get(f"/consultations/{consultation.id}/responses.csv").data.decode("utf-8-sig")))
    )
    assert rows[1][-1] == expected and rows[1][-2] == expected


def test_the_same_form_twice_makes_one_response_and_no_version(client, db, consultation, parent):
    log_in(client, parent)
    data = form_data(consultation)

    first = client.post(respond_url(consultation), data=data)
    second = client.post(respond_url(consultation), data=data, headers=HTMX)

    assert (first.status_code, second.status_code) == (303, 200)
    (stored,) = responses_of(db, consultation)
    assert stored.versions == []


def test_two_requests_racing_to_create_the_response_make_one(client, db, consultation, parent, monkeypatch):
    """The second request of a double click inserts after the first one did: the unique
    constraint refuses it, and it carries on as an edit of the first (here: identical, so no
    change). Simulated: the first attempt creates the response and then fails as the loser of
    the race would."""
    real_submit = response_services.submit_response
    attempts = []

    def racing(actor, consultation, data, now=None):
        attempts.append(1)
        if len(attempts) == 1:
            real_submit(actor, consultation, data, now)
            raise IntegrityError("INSERT INTO consultation_response", {}, Exception("UNIQUE constraint failed"))
        return real_submit(actor, consultation, data, now)

    monkeypatch.setattr(response_services, "submit_response", racing)
    log_in(client, parent)

    assert client.post(respond_url(consultation), data=form_data(consultation)).status_code == 303

    assert len(attempts) == 2
    assert (
        db.session.scalar(select(func.count()).select_from(Response).where(Response.consultation_id == consultation.id))
        == 1
    )


def test_forms_need_their_csrf_token(csrf_client, db, consultation, parent):
    log_in(csrf_client, parent)

    assert csrf_client.post(respond_url(consultation), data=form_data(consultation)).status_code == 400
    assert responses_of(db, consultation) == []


def test_responding_is_limited_per_account(
    app, client, db, make_consultation, parent, make_user, rate_limits, monkeypatch
):
    monkeypatch.setitem(app.config, "PORTAL_RESPONSE_LIMIT_PER_ACCOUNT", "3 per hour")
    consultation = make_consultation()
    log_in(client, parent)

    statuses = [
        client.post(respond_url(consultation), data=form_data(consultation, body=f"第{n}版")).status_code
        for n in range(4)
    ]

    assert statuses == [303, 303, 303, 429]
    log_in(client, make_user())  # another account from the same address is not held back
    assert client.post(respond_url(consultation), data=form_data(consultation)).status_code == 303


def test_forms_with_mistakes_do_not_use_up_the_limit(app, client, db, consultation, parent, rate_limits, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_RESPONSE_LIMIT_PER_ACCOUNT", "2 per hour")
    log_in(client, parent)

    for _ in range(4):
        assert client.post(respond_url(consultation), data=form_data(consultation, stance="")).status_code == 422

    assert client.post(respond_url(consultation), data=form_data(consultation)).status_code == 303


# The counter under the comments (htmx)


def check(client, consultation, body, headers=HTMX):
    return client.post(
        f"/consultations/{consultation.id}/response/check", data={"body": body}, headers={**headers, **ENGLISH}
    )


def test_counter_counts_characters_as_they_are_typed(client, db, consultation, parent):
    log_in(client, parent)

    response = check(client, consultation, "课后服务 ok 😀")

    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == "<span>9 of 5,000 characters</span>"  # the emoji is one


def test_counter_says_how_much_is_too_much(client, db, consultation, parent):
    log_in(client, parent)

    response = check(client, consultation, "长" * 5012)

    assert response.status_code == 422
    assert "5,012 characters: 12 too many." in response.get_data(as_text=True)
    assert responses_of(db, consultation) == []


def test_counter_without_htmx_goes_back_to_the_page(client, db, consultation, parent):
    log_in(client, parent)

    response = check(client, consultation, "文字", headers={})

    assert response.status_code == 303 and location_path(response) == f"/consultations/{consultation.id}"


def test_counter_is_only_for_those_who_may_respond(client, db, consultation, resident):
    assert check(client, consultation, "文字").status_code in (302, 401)
    log_in(client, resident)
    assert check(client, consultation, "文字").status_code == 403


ODD_VALUES = [
    "\x00",
    "\u202e",
    "𠜎" * 3000,
    "<script>alert(1)</script>",
    "-1",
    "1e400",
    "0x1",
    "[]",
    "{}",
    "x" * 100_000,
]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_odd_values_in_any_field_never_fail_and_are_never_stored_wrong(client, db, consultation, parent, value):
    single, multiple, text = consultation.questions
    log_in(client, parent)

    for name in ("stance", "body", "show_name", f"answer_{single.id}", f"answer_{multiple.id}", f"answer_{text.id}"):
        data = {**form_data(consultation), name: value}
        response = client.post(respond_url(consultation), data=data)
        assert response.status_code in (303, 422), (name, response.status_code)
    for stored in responses_of(db, consultation):
        assert stored.stance.value in ("support", "oppose", "neutral")
        assert "\x00" not in stored.body and len(stored.body) <= 5000


def test_bytes_that_are_not_utf8_never_fail(client, db, consultation, parent):
    log_in(client, parent)

    response = client.post(
        respond_url(consultation),
        data=b"stance=support&body=%FF%FE%ED%A0%80",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code in (303, 422)


def test_the_browser_is_not_told_to_cut_long_text(client, db, consultation, parent):
    """A maxlength would make browsers drop what is pasted beyond it, silently, and count an
    emoji as two characters: the form keeps the whole text and says what is too long."""
    log_in(client, parent)

    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)

    textareas = re.findall(r"<textarea[^>]*>", page)
    assert textareas and not any("maxlength" in tag for tag in textareas if 'name="reason"' not in tag)
