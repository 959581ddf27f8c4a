"""The moderators' actions on a consultation's page: approving it or sending it back, and
publishing, rejecting (with a reason) or hiding its responses. When someone else acted first,
the answer is 409 with who did what, and nothing changes."""

import re

import pytest

from portal.consultations import services
from portal.consultations.models import ConsultationStatus, Phase, ResponseState
from tests.helpers.pages import ENGLISH, HTMX, field_error, location_path, log_in


def fresh(db, obj):
    return db.session.get(type(obj), obj.id)


# Approval


def test_moderator_approves_a_submitted_consultation_and_it_opens(client, db, make_consultation, moderator):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, moderator)

    response = client.post(f"/consultations/{consultation.id}/approve", headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == f"/consultations/{consultation.id}"
    approved = fresh(db, consultation)
    assert approved.status == ConsultationStatus.APPROVED and approved.approved_by_id == moderator.id
    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)
    assert "approved and open for comment" in page
    assert client.get(f"/consultations/{consultation.id}").status_code == 200
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

    response = client.post(f"/consultations/{consultation.id}/approve", headers=ENGLISH)

    assert response.status_code == 409
    assert "先到的审核员 already approved this consultation on" in response.get_data(as_text=True)
    assert fresh(db, consultation).approved_by_id == first.id


def test_approving_what_another_moderator_sent_back_says_who_did(
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

    response = client.post(f"/consultations/{consultation.id}/approve", headers={**HTMX, **ENGLISH})

    assert (
        response.status_code == 409
        and response.headers["HX-Redirect"] == f"/consultations/{consultation.id}#moderation"
    )
    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)
    assert "先到的审核员 already sent this consultation back to the school on" in page
    assert fresh(db, consultation).status == ConsultationStatus.DRAFT


def test_sending_back_needs_a_reason(client, db, make_consultation, moderator):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, moderator)

    response = client.post(f"/consultations/{consultation.id}/send-back", data={"reason": " "}, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "reason") == "Please say why."
    assert fresh(db, consultation).status == ConsultationStatus.SUBMITTED


def test_sending_back_returns_it_to_the_school_as_a_draft(client, db, make_consultation, moderator):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, moderator)

    response = client.post(
        f"/consultations/{consultation.id}/send-back", data={"reason": "请补充预算说明。", "status": "approved"}
    )

    assert response.status_code == 303
    sent_back = fresh(db, consultation)
    assert sent_back.status == ConsultationStatus.DRAFT and sent_back.sent_back_reason == "请补充预算说明。"


def test_moderator_of_another_district_does_not_see_the_approval(client, db, make_consultation, other_moderator):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, other_moderator)

    assert client.post(f"/consultations/{consultation.id}/approve").status_code == 404
    assert fresh(db, consultation).status == ConsultationStatus.SUBMITTED


def test_the_school_itself_cannot_approve_its_consultation(client, db, make_consultation, school_admin):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, school_admin)

    assert client.post(f"/consultations/{consultation.id}/approve").status_code == 403
    assert fresh(db, consultation).status == ConsultationStatus.SUBMITTED


# Responses


@pytest.fixture
def pending(make_consultation, make_response, make_user):
    return make_response(make_consultation(), make_user(display_name="匿名的作者"), "oppose", body="待审核的回应")


def moderate(client, response, headers=None, **data):
    return client.post(
        f"/consultations/{response.consultation_id}/responses/{response.id}/moderate",
        data=data,
        headers={**ENGLISH, **(headers or {})},
    )


def test_moderators_see_pending_responses_with_their_authors(client, pending, moderator):
    log_in(client, moderator)

    page = client.get(f"/consultations/{pending.consultation_id}", headers=ENGLISH).get_data(as_text=True)

    item = re.search(
        rf'<li class="response-card moderation-item" id="moderation-item-{pending.id}">.*?</li>', page, re.S
    ).group(0)
    assert "待审核的回应" in item and "匿名的作者" in item
    assert 'name="action" value="publish"' in item and 'name="action" value="reject"' in item
    assert "Awaiting: 1" in page


def test_publishing_a_response_with_htmx_answers_with_its_item(client, db, pending, moderator):
    log_in(client, moderator)

    response = moderate(client, pending, HTMX, action="publish")

    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith(f'<li class="response-card moderation-item" id="moderation-item-{pending.id}">')
    assert "The response is published." in fragment
    assert fresh(db, pending).state == ResponseState.PUBLISHED
    assert services.results(fresh(db, fresh(db, pending).consultation)).published == 1


def test_rejecting_needs_a_reason_which_is_then_counted_publicly(client, db, pending, moderator):
    log_in(client, moderator)

    refused = moderate(client, pending, HTMX, action="reject", reason="")
    assert refused.status_code == 422
    assert field_error(refused.get_data(as_text=True), f"reject-reason-{pending.id}") == "Please say why."
    assert fresh(db, pending).state == ResponseState.PENDING

    assert moderate(client, pending, action="reject", reason="与主题无关").status_code == 303
    rejected = fresh(db, pending)
    assert rejected.state == ResponseState.REJECTED and rejected.reject_reason == "与主题无关"
    client.post("/logout")
    page = client.get(f"/consultations/{pending.consultation_id}", headers=ENGLISH).get_data(as_text=True)
    assert '<td dir="auto">与主题无关</td><td class="nowrap">1</td>' in page and "待审核的回应" not in page


def test_hiding_a_published_response_takes_it_off_the_page_and_the_counts(client, db, pending, moderator):
    services.publish_response(moderator, fresh(db, pending))
    db.session.commit()
    log_in(client, moderator)

    assert moderate(client, pending, action="hide", reason="").status_code == 422
    assert moderate(client, pending, action="hide", reason="泄露个人信息").status_code == 303

    assert fresh(db, pending).state == ResponseState.HIDDEN
    client.post("/logout")
    page = client.get(f"/consultations/{pending.consultation_id}").get_data(as_text=True)
    assert "待审核的回应" not in page


def test_an_unknown_action_gets_a_message(client, db, pending, moderator):
    log_in(client, moderator)

    response = moderate(client, pending, HTMX, action="delete")

    assert response.status_code == 422 and "Choose publish, reject or hide." in response.get_data(as_text=True)
    assert fresh(db, pending).state == ResponseState.PENDING


def test_when_another_moderator_acted_first_it_says_who_and_how(client, db, pending, moderator, make_user, district):
    first = make_user(role="moderator", scope=district, display_name="先到的审核员")
    services.reject_response(first, fresh(db, pending), "广告")
    db.session.commit()
    log_in(client, moderator)

    response = moderate(client, pending, action="publish")

    assert response.status_code == 409
    assert "先到的审核员 already rejected this response on" in response.get_data(as_text=True)
    assert "(“广告”)" in response.get_data(as_text=True)
    assert fresh(db, pending).state == ResponseState.REJECTED


def test_moderating_twice_the_same_way_is_409_not_a_second_count(client, db, pending, moderator):
    log_in(client, moderator)
    moderate(client, pending, action="publish")

    assert moderate(client, pending, action="publish").status_code == 409
    assert services.results(fresh(db, fresh(db, pending).consultation)).published == 1


def test_only_moderators_of_the_district_moderate(client, db, pending, other_moderator, school_admin, parent):
    log_in(client, other_moderator)
    assert moderate(client, pending, action="publish").status_code == 404
    log_in(client, school_admin)
    assert moderate(client, pending, action="publish").status_code == 403
    log_in(client, parent)
    assert moderate(client, pending, action="publish").status_code == 403
    assert fresh(db, pending).state == ResponseState.PENDING


def test_a_response_of_another_consultation_is_not_found(client, db, pending, make_consultation, moderator):
    other = make_consultation()
    log_in(client, moderator)

    assert (
        client.post(
            f"/consultations/{other.id}/responses/{pending.id}/moderate", data={"action": "publish"}
        ).status_code
        == 404
    )
