"""Moderating a consultation from its page: moderators find its part of the moderation queue there
(approving it or sending it back, publishing or rejecting its responses) and can hide a published
response from the list. Every action is the moderation feature's own, the same as in the queue:
when someone else acted first the answer is 409 with who did what, and nothing changes; hiding a
response from anywhere resolves its reports."""

import re

import pytest
from sqlalchemy import select

from portal.consultations import responses as response_services
from portal.consultations import services
from portal.consultations.models import ConsultationStatus, Phase, ResponseState
from portal.moderation import services as moderation_services
from portal.moderation.models import REPORTED, Report
from tests.helpers.pages import ENGLISH, HTMX, location_path, log_in


def fresh(db, obj):
    return db.session.get(type(obj), obj.id)


def page_of(client, consultation_id: int) -> str:
    return client.get(f"/consultations/{consultation_id}", headers=ENGLISH).get_data(as_text=True)


def queue_part(client, consultation_id: int) -> str:
    """What the consultation's page loads into its moderation section (htmx), or links to."""
    headers = {**ENGLISH, **HTMX, "HX-Target": "moderation-queue"}
    return client.get(f"/moderation?consultation={consultation_id}", headers=headers).get_data(as_text=True)


def act_on(client, consultation, headers=None, **data):
    return client.post(
        f"/moderation/consultations/{consultation.id}?consultation={consultation.id}",
        data=data,
        headers={**ENGLISH, **(headers or {})},
    )


# Approval


def test_the_page_of_a_submitted_consultation_gives_its_moderator_approve_and_send_back(
    client, make_consultation, moderator
):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, moderator)

    page = page_of(client, consultation.id)
    part = queue_part(client, consultation.id)

    assert 'id="moderation"' in page and f'hx-get="/moderation?consultation={consultation.id}"' in page
    assert f'action="/moderation/consultations/{consultation.id}?consultation={consultation.id}"' in part
    assert 'name="action" value="approve"' in part and 'name="action" value="send_back"' in part


def test_moderator_approves_a_submitted_consultation_and_it_opens(client, db, make_consultation, moderator):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, moderator)

    response = act_on(client, consultation, action="approve")

    assert response.status_code == 303
    assert location_path(response) == f"/moderation?consultation={consultation.id}"
    approved = fresh(db, consultation)
    assert approved.status == ConsultationStatus.APPROVED and approved.approved_by_id == moderator.id
    queue = client.get(location_path(response), headers=ENGLISH).get_data(as_text=True)
    assert "approved and open for comment until" in queue
    client.post("/logout")
    assert client.get(f"/consultations/{consultation.id}").status_code == 200  # public now


def test_approving_what_another_moderator_approved_says_who_did(
    client, db, make_consultation, moderator, make_user, district
):
    consultation = make_consultation(Phase.SUBMITTED)
    first = make_user(role="moderator", scope=district, display_name="先到的审核员")
    services.approve(first, fresh(db, consultation))
    db.session.commit()
    log_in(client, moderator)

    response = act_on(client, consultation, action="approve")

    assert response.status_code == 409
    assert "先到的审核员 already approved this on" in response.get_data(as_text=True)
    assert fresh(db, consultation).approved_by_id == first.id


def test_approving_what_another_moderator_sent_back_says_who_did_in_place(
    client, db, make_consultation, moderator, make_user, district
):
    consultation = make_consultation(Phase.SUBMITTED)
    services.send_back(
        make_user(role="moderator", scope=district, display_name="先到的审核员"),
        fresh(db, consultation),
        "请补充预算。",
    )
    db.session.commit()
    log_in(client, moderator)

    response = act_on(client, consultation, HTMX, action="approve")

    assert response.status_code == 409  # swapped in place of the item (base.html's htmx configuration)
    fragment = response.get_data(as_text=True)
    assert f'id="moderation-item-c{consultation.id}"' in fragment and "<html" not in fragment
    assert "先到的审核员 already sent back this on" in fragment
    assert fresh(db, consultation).status == ConsultationStatus.DRAFT


def test_sending_back_needs_a_reason(client, db, make_consultation, moderator):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, moderator)

    response = act_on(client, consultation, action="send_back", reason=" ")

    assert response.status_code == 422
    assert "Write what the school should change." in response.get_data(as_text=True)
    assert fresh(db, consultation).status == ConsultationStatus.SUBMITTED


def test_sending_back_returns_it_to_the_school_as_a_draft(client, db, make_consultation, moderator):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, moderator)

    response = act_on(client, consultation, action="send_back", reason="请补充预算说明。", status="approved")

    assert response.status_code == 303
    sent_back = fresh(db, consultation)
    assert sent_back.status == ConsultationStatus.DRAFT and sent_back.sent_back_reason == "请补充预算说明。"


def test_moderator_of_another_district_does_not_see_the_approval(client, db, make_consultation, other_moderator):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, other_moderator)

    assert act_on(client, consultation, action="approve").status_code == 404
    assert 'id="moderation"' not in client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert fresh(db, consultation).status == ConsultationStatus.SUBMITTED


def test_the_school_itself_cannot_approve_its_consultation(client, db, make_consultation, school_admin):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, school_admin)

    assert act_on(client, consultation, action="approve").status_code == 403
    assert 'id="moderation"' not in page_of(client, consultation.id)
    assert fresh(db, consultation).status == ConsultationStatus.SUBMITTED


# Responses


@pytest.fixture
def pending(make_consultation, make_response, make_user):
    return make_response(make_consultation(), make_user(display_name="匿名的作者"), "oppose", body="待审核的回应")


def moderate(client, response, headers=None, **data):
    """What the queue's item (on the consultation's page) posts: to the moderation feature."""
    return client.post(
        f"/moderation/responses/{response.id}?consultation={response.consultation_id}",
        data=data,
        headers={**ENGLISH, **(headers or {})},
    )


def hide_from_the_page(client, response, reason):
    """What "Hide (moderators)" under a published response on the consultation's page posts."""
    back = f"/consultations/{response.consultation_id}#responses"
    return client.post(
        f"/moderation/responses/{response.id}?next={back}",
        data={"action": "hide", "expected": "published", "reason": reason},
        headers=ENGLISH,
    )


def hide_form_url(response) -> str:
    """Where "Hide (moderators)" fetches its form from (htmx), or links to (without JavaScript)."""
    return f"/consultations/{response.consultation_id}/responses/{response.id}/hide"


def hide_action(response) -> str:
    """Where that form posts: the moderation feature's action, then back to the consultation's page."""
    return f"/moderation/responses/{response.id}?next=/consultations/{response.consultation_id}%23responses"


def test_moderators_see_pending_responses_with_their_authors(client, pending, moderator):
    log_in(client, moderator)

    page = page_of(client, pending.consultation_id)
    part = queue_part(client, pending.consultation_id)

    item = re.search(
        rf'<li class="moderation-item response-card" id="moderation-item-{pending.id}".*?</li>', part, re.S
    )
    assert "待审核的回应" in item.group(0) and "匿名的作者" in item.group(0)
    assert 'name="action" value="publish"' in item.group(0) and 'name="action" value="reject"' in item.group(0)
    assert "Awaiting: 1" in page


def test_publishing_a_response_with_htmx_answers_with_its_item(client, db, pending, moderator):
    log_in(client, moderator)

    response = moderate(client, pending, HTMX, action="publish")

    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert f'id="moderation-item-{pending.id}"' in fragment and "<html" not in fragment
    assert "The response is published." in fragment
    assert fresh(db, pending).state == ResponseState.PUBLISHED
    assert response_services.results(fresh(db, fresh(db, pending).consultation)).published == 1


def test_rejecting_needs_a_reason_which_is_then_counted_publicly(client, db, pending, moderator):
    log_in(client, moderator)

    refused = moderate(client, pending, HTMX, action="reject", reason="")
    assert refused.status_code == 422
    assert "Choose a reason, or write one." in refused.get_data(as_text=True)
    assert fresh(db, pending).state == ResponseState.PENDING

    assert moderate(client, pending, action="reject", reason="与主题无关").status_code == 303
    rejected = fresh(db, pending)
    assert rejected.state == ResponseState.REJECTED and rejected.reject_reason == "与主题无关"
    client.post("/logout")
    page = page_of(client, pending.consultation_id)
    assert '<td dir="auto">与主题无关</td><td class="nowrap">1</td>' in page and "待审核的回应" not in page


def test_hiding_a_published_response_from_the_page_takes_it_off_the_page_and_the_counts(client, db, pending, moderator):
    moderation_services.moderate(moderator, fresh(db, pending), "publish")
    db.session.commit()
    log_in(client, moderator)
    assert f'hx-get="{hide_form_url(pending)}"' in page_of(client, pending.consultation_id)  # the control is there

    assert hide_from_the_page(client, pending, "").status_code == 422
    hidden = hide_from_the_page(client, pending, "泄露个人信息")

    assert hidden.status_code == 303 and location_path(hidden) == f"/consultations/{pending.consultation_id}"
    assert fresh(db, pending).state == ResponseState.HIDDEN
    assert response_services.results(fresh(db, fresh(db, pending).consultation)).published == 0
    client.post("/logout")
    assert "待审核的回应" not in page_of(client, pending.consultation_id)


# Hiding from the page: the form is fetched when "Hide (moderators)" is opened


@pytest.fixture
def published(db, pending, moderator):
    moderation_services.moderate(moderator, fresh(db, pending), "publish")
    db.session.commit()
    return fresh(db, pending)


def test_the_page_gives_moderators_one_hide_disclosure_per_response_without_its_form(
    client, db, published, moderator, make_response, make_user
):
    for body in ("第二条回应", "第三条回应"):
        moderation_services.moderate(
            moderator, make_response(published.consultation, make_user(), body=body), "publish"
        )
    db.session.commit()
    log_in(client, moderator)

    page = page_of(client, published.consultation_id)

    assert page.count("Hide (moderators)") == 3
    assert f'hx-get="{hide_form_url(published)}" hx-trigger="toggle once"' in page
    assert f'<a href="{hide_form_url(published)}">Give the reason for hiding it</a>' in page
    # No hidden form per response: its reasons, fields and token come when it is opened.
    assert "hide-reason-" not in page and 'name="expected" value="published"' not in page
    assert 'action="/moderation/responses/' not in page


def test_the_hide_form_opens_in_place_with_htmx_and_on_a_page_without(client, published, moderator):
    log_in(client, moderator)

    fragment = client.get(hide_form_url(published), headers={**HTMX, **ENGLISH})
    page = client.get(hide_form_url(published), headers=ENGLISH)

    assert fragment.status_code == page.status_code == 200
    fragment_html = fragment.get_data(as_text=True)
    assert fragment_html.strip().startswith(f'<div class="hide-form" id="hide-form-{published.id}">')
    assert "<html" not in fragment_html
    # With htmx the answer replaces the response's item on the consultation's page, as before.
    assert (
        f'action="{hide_action(published)}" hx-post="{hide_action(published)}" hx-target="closest li"' in fragment_html
    )
    assert f'id="hide-reason-{published.id}"' in fragment_html and 'value="off_topic"' in fragment_html
    page_html = page.get_data(as_text=True)
    assert "<html" in page_html and "Hide a response" in page_html
    assert "待审核的回应" in page_html and "匿名的作者" in page_html  # what is hidden, and by whom
    # Without JavaScript the form posts on its own and comes back to the consultation's page.
    assert f'action="{hide_action(published)}"' in page_html and "hx-post" not in page_html


def test_hiding_with_the_fetched_form_replaces_the_response_in_place(client, db, published, moderator):
    log_in(client, moderator)
    client.get(hide_form_url(published), headers=HTMX)

    answer = client.post(
        hide_action(published),
        data={"action": "hide", "expected": "published", "reason": "off_topic"},
        headers={**HTMX, **ENGLISH},
    )

    assert answer.status_code == 200
    item = answer.get_data(as_text=True)
    assert f'id="moderation-item-{published.id}"' in item and "The response is hidden." in item
    assert fresh(db, published).state == ResponseState.HIDDEN


def hidden_by_a_moderator(response, moderator):
    moderation_services.moderate(moderator, response, "hide", "广告")


def hidden_by_its_reports(response, moderator):
    response.hide(None, response.updated_at, REPORTED)


def rejected(response, moderator):
    moderation_services.moderate(moderator, response, "reject", "广告")


@pytest.mark.parametrize(
    ("make_it", "says", "queue_link"),
    [
        (hidden_by_a_moderator, "This response is already hidden.", False),
        (hidden_by_its_reports, "until a moderator decides: keep it hidden or restore it", True),
        (None, "This response is not published yet: publish or reject it in the moderation queue.", True),
        (rejected, "This response was rejected, so it is not published and there is nothing to hide.", False),
    ],
    ids=["hidden by a moderator", "hidden by its reports", "awaiting moderation", "rejected"],
)
def test_the_hide_form_says_why_there_is_nothing_to_hide(client, db, pending, moderator, make_it, says, queue_link):
    if make_it is not None:
        if make_it is not rejected:
            moderation_services.moderate(moderator, fresh(db, pending), "publish")
        make_it(fresh(db, pending), moderator)
        db.session.commit()
    log_in(client, moderator)

    for headers in ({**HTMX, **ENGLISH}, ENGLISH):
        answer = client.get(hide_form_url(pending), headers=headers)
        text = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert says in text and "<form" not in text.split('id="hide-form-')[1]
        queue = f'href="/moderation?consultation={pending.consultation_id}"'
        assert (queue in text) == queue_link


def test_the_hide_form_is_only_for_the_moderators_of_the_consultation(
    client, published, other_moderator, school_admin, parent
):
    visitor = client.get(hide_form_url(published))
    assert visitor.status_code == 302
    assert location_path(visitor) == "/login?next=" + hide_form_url(published).replace("/", "%2F")
    log_in(client, parent)
    assert client.get(hide_form_url(published)).status_code == 403
    log_in(client, school_admin)  # the school never moderates what is said about it
    assert client.get(hide_form_url(published)).status_code == 403
    log_in(client, other_moderator)  # another district's: not found
    assert client.get(hide_form_url(published)).status_code == 404


def test_the_hide_form_of_a_response_not_in_that_consultation_is_not_found(
    client, published, moderator, make_consultation, make_response, make_user
):
    elsewhere = make_response(make_consultation(), make_user())
    log_in(client, moderator)

    assert client.get(f"/consultations/{published.consultation_id}/responses/{elsewhere.id}/hide").status_code == 404
    assert client.get(f"/consultations/{published.consultation_id}/responses/999999/hide").status_code == 404
    assert client.get(f"/consultations/999999/responses/{published.id}/hide").status_code == 404


def open_reports(db, response) -> list[Report]:
    return list(db.session.scalars(select(Report).where(Report.response_id == response.id)))


@pytest.mark.parametrize("where", ["the consultation's page", "the queue"])
def test_hiding_a_reported_response_resolves_its_reports_from_anywhere(
    client, db, pending, moderator, make_user, where
):
    moderation_services.moderate(moderator, fresh(db, pending), "publish")
    moderation_services.report_response(make_user(), fresh(db, pending), {"reason": "人身攻击"})
    db.session.commit()
    log_in(client, moderator)

    if where == "the queue":
        answer = client.post(
            f"/moderation/responses/{pending.id}",
            data={"action": "hide", "expected": "published", "reason": "personal_attack"},
        )
    else:
        answer = hide_from_the_page(client, pending, "personal_attack")

    assert answer.status_code == 303
    (report,) = open_reports(db, pending)
    assert report.resolved_at is not None and report.resolution == "hidden"
    assert f'id="moderation-item-{pending.id}"' not in queue_part(client, pending.consultation_id)  # off the queue


def test_an_unknown_action_gets_a_message(client, db, pending, moderator):
    log_in(client, moderator)

    response = moderate(client, pending, HTMX, action="delete")

    assert response.status_code == 422
    assert "This action is not one the queue offers." in response.get_data(as_text=True)
    assert fresh(db, pending).state == ResponseState.PENDING


def test_when_another_moderator_acted_first_it_says_who_and_how(client, db, pending, moderator, make_user, district):
    first = make_user(role="moderator", scope=district, display_name="先到的审核员")
    moderation_services.moderate(first, fresh(db, pending), "reject", "广告")
    db.session.commit()
    log_in(client, moderator)

    response = moderate(client, pending, action="publish", expected="pending")

    assert response.status_code == 409
    assert "先到的审核员 already rejected this on" in response.get_data(as_text=True)
    assert fresh(db, pending).state == ResponseState.REJECTED


def test_moderating_twice_the_same_way_is_409_not_a_second_count(client, db, pending, moderator):
    log_in(client, moderator)
    moderate(client, pending, action="publish")

    assert moderate(client, pending, action="publish").status_code == 409
    assert response_services.results(fresh(db, fresh(db, pending).consultation)).published == 1


def test_only_moderators_of_the_district_moderate(client, db, pending, other_moderator, school_admin, parent):
    log_in(client, other_moderator)
    assert moderate(client, pending, action="publish").status_code == 404
    log_in(client, school_admin)
    assert moderate(client, pending, action="publish").status_code == 403
    log_in(client, parent)
    assert moderate(client, pending, action="publish").status_code == 403
    assert fresh(db, pending).state == ResponseState.PENDING


def test_a_response_that_does_not_exist_is_not_found(client, db, pending, moderator):
    log_in(client, moderator)

    assert client.post("/moderation/responses/999999", data={"action": "publish"}).status_code == 404
    assert client.post("/moderation/responses/99999999999", data={"action": "publish"}).status_code == 404
