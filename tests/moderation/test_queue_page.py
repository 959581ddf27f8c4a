"""The moderation queue at /moderation: what it lists, for whom, and the actions taken from it."""

import re

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.consultations.models import ConsultationStatus, Phase, ResponseState, Tally
from portal.extensions import db as _db
from portal.moderation import services as moderation_services
from portal.moderation.models import Report, reason_label
from tests.helpers.consultations import create_consultation, respond, someone
from tests.helpers.pages import session_id


def _text(response):
    return response.get_data(as_text=True)


def test_moderator_sees_pending_reported_and_submitted_items_oldest_first(
    client, login_as, moderator, school, pending, published
):
    submitted = create_consultation(school, Phase.SUBMITTED, title="待审批的征集")
    moderation_services.report_response(someone(), published, {"reason": "人身攻击"})
    _db.session.commit()
    login_as(moderator)

    page = _text(client.get("/moderation", headers={"Accept-Language": "en"}))

    assert f'id="moderation-item-{pending.id}"' in page
    assert f'id="moderation-item-{published.id}"' in page
    assert f'id="moderation-item-c{submitted.id}"' in page
    assert "人身攻击" in page  # the report's reason
    assert 'id="count-pending">1<' in page and 'id="count-reported">1<' in page and 'id="count-consultation">1<' in page
    # oldest first: the consultation was submitted 50 days ago
    assert page.index(f"moderation-item-c{submitted.id}") < page.index(f"moderation-item-{pending.id}")


def test_an_author_s_earlier_rejections_are_counted_only_when_there_are_some(
    client, login_as, moderator, open_consultation
):
    author = someone("作者丙")
    elsewhere = create_consultation(open_consultation.school, Phase.OPEN)
    moderation_services.moderate(None, respond(elsewhere, author, body="第一次。"), "reject", "跑题")
    again = respond(open_consultation, author, body="第二次。")
    first_time = respond(open_consultation, someone("作者丁"), body="初次发言。")
    _db.session.commit()
    login_as(moderator)

    page = _text(client.get("/moderation", headers={"Accept-Language": "en"}))

    repeat = page[page.index(f'id="moderation-item-{again.id}"') :]
    newcomer = page[page.index(f'id="moderation-item-{first_time.id}"') :]
    assert "1 earlier rejection or hiding" in repeat[: repeat.index("</li>")]
    assert "earlier rejection" not in newcomer[: newcomer.index("</li>")]


def test_moderator_of_other_district_does_not_see_the_items(client, login_as, other_moderator, pending):
    login_as(other_moderator)

    page = _text(client.get("/moderation"))

    assert f"moderation-item-{pending.id}" not in page
    assert 'id="count-pending">0<' in page


def test_moderator_of_other_district_gets_404_for_an_item(client, login_as, other_moderator, pending):
    login_as(other_moderator)

    response = client.post(f"/moderation/responses/{pending.id}", data={"action": "publish", "expected": "pending"})

    assert response.status_code == 404
    assert _db.session.get(type(pending), pending.id).state == ResponseState.PENDING


@pytest.mark.parametrize("role", ["parent", "board_member", "school_admin"])
def test_parents_board_members_and_school_admins_are_refused(client, login_as, make_user, school, pending, role):
    login_as(make_user(role=role, scope=school))

    assert client.get("/moderation").status_code == 403
    assert client.post(f"/moderation/responses/{pending.id}", data={"action": "publish"}).status_code == 403


def test_filters_by_school_and_kind(client, login_as, moderator, make_school, district, pending):
    elsewhere = make_school(authority=district)
    other = respond(create_consultation(elsewhere, Phase.OPEN), someone())
    login_as(moderator)

    by_school = _text(client.get(f"/moderation?school={elsewhere.id}"))
    by_kind = _text(client.get("/moderation?kind=consultation"))

    assert f"moderation-item-{other.id}" in by_school and f"moderation-item-{pending.id}" not in by_school
    assert "moderation-item-" not in by_kind.replace("moderation-item-title", "")


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_filter_names_schools_and_districts_in_the_page_s_language(
    client, login_as, moderator, school, pending, language
):
    login_as(moderator)

    page = _text(client.get("/moderation", headers={"Accept-Language": language}))

    other = "zh" if language == "en" else "en"
    schools = re.search(r'<select id="filter-school".*?</select>', page, re.S).group(0)
    districts = re.search(r'<select id="filter-district".*?</select>', page, re.S).group(0)
    assert f">{school.name(language)}</option>" in schools and school.name(other) not in schools
    assert f">{school.authority.name(language)}</option>" in districts and school.authority.name(other) not in districts


def test_a_response_awaiting_moderation_is_called_so_once_in_the_english_queue(client, login_as, moderator, pending):
    login_as(moderator)

    page = _text(client.get("/moderation", headers={"Accept-Language": "en"}))

    item = page.split(f'id="moderation-item-{pending.id}"')[1].split("</ol>")[0]  # the only item
    assert "pre-moderation" not in page
    assert item.count("Awaiting moderation") == 1
    assert 'id="count-pending"' in page and "Awaiting moderation: <strong" in page


def test_the_first_page_costs_a_fixed_number_of_queries(
    client, login_as, moderator, open_consultation, school, count_queries
):
    for n in range(12):
        respond(open_consultation, someone(), body=f"意见{n}")
    reported = respond(open_consultation, someone(), publish=True)
    moderation_services.report_response(someone(), reported, {"reason": "广告"})
    create_consultation(school, Phase.SUBMITTED)
    _db.session.commit()
    login_as(moderator)

    with count_queries() as queries:
        response = client.get("/moderation")

    assert response.status_code == 200
    # 10, the authors' staff badges (one query for all), and the header's unread notifications
    assert len(queries) <= 12, "\n".join(queries)


def test_publishing_from_the_queue_publishes_and_counts_it(client, login_as, moderator, pending):
    login_as(moderator)

    response = client.post(f"/moderation/responses/{pending.id}", data={"action": "publish", "expected": "pending"})

    assert response.status_code == 303
    _db.session.expire_all()
    assert _db.session.get(type(pending), pending.id).state == ResponseState.PUBLISHED
    assert (
        _db.session.scalar(
            select(Tally.count).where(Tally.consultation_id == pending.consultation_id, Tally.key == "published")
        )
        == 1
    )


def test_rejecting_needs_a_reason_and_stores_the_standard_one_with_details(client, login_as, moderator, pending):
    login_as(moderator)

    refused = client.post(
        f"/moderation/responses/{pending.id}", data={"action": "reject", "expected": "pending", "reason": ""}
    )
    done = client.post(
        f"/moderation/responses/{pending.id}",
        data={"action": "reject", "expected": "pending", "reason": "personal_data", "reason_detail": "含电话号码"},
        headers={"Accept-Language": "en"},
    )

    assert refused.status_code == 422
    assert done.status_code == 303
    _db.session.expire_all()
    rejected = _db.session.get(type(pending), pending.id)
    assert rejected.state == ResponseState.REJECTED
    # Stored as the standard reason's key: each reader sees it in their own language.
    assert rejected.reject_reason == "personal_data: 含电话号码"
    assert str(reason_label(rejected.reject_reason)) == "Personal data: 含电话号码"


def test_htmx_action_swaps_the_item_out(client, login_as, moderator, pending):
    login_as(moderator)

    response = client.post(
        f"/moderation/responses/{pending.id}",
        data={"action": "publish", "expected": "pending"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert f'id="moderation-item-{pending.id}"' in _text(response)
    assert "data-moderation-done" in _text(response)


def test_a_stale_form_changes_nothing_and_says_who_acted(client, login_as, moderator, second_moderator, pending):
    moderation_services.moderate(second_moderator, pending, "publish")
    _db.session.commit()
    login_as(moderator)

    response = client.post(
        f"/moderation/responses/{pending.id}",
        data={"action": "hide", "expected": "pending", "reason": "off_topic"},
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 409
    assert "第二审核员 already published this" in _text(response)
    _db.session.expire_all()
    assert _db.session.get(type(pending), pending.id).state == ResponseState.PUBLISHED


def test_an_already_handled_item_is_refused_with_409(client, login_as, moderator, second_moderator, pending):
    moderation_services.moderate(second_moderator, pending, "reject", "跑题")
    _db.session.commit()
    login_as(moderator)

    response = client.post(
        f"/moderation/responses/{pending.id}", data={"action": "publish"}, headers={"Accept-Language": "en"}
    )

    assert response.status_code == 409
    assert "第二审核员 already rejected this" in _text(response)
    assert (
        _db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.object_id == pending.id, AuditEvent.action.in_(["response.publish", "response.reject"]))
        )
        == 1
    )


def test_a_forged_id_is_not_found(client, login_as, moderator):
    login_as(moderator)

    assert client.post("/moderation/responses/999999", data={"action": "publish"}).status_code == 404
    assert client.post("/moderation/consultations/999999", data={"action": "approve"}).status_code == 404


def test_an_unknown_action_is_refused(client, login_as, moderator, pending):
    login_as(moderator)

    assert client.post(f"/moderation/responses/{pending.id}", data={"action": "delete<script>"}).status_code == 422


def test_hiding_a_reported_response_resolves_its_reports_and_decrements_the_tally(
    client, login_as, moderator, published
):
    moderation_services.report_response(someone(), published, {"reason": "广告"})
    _db.session.commit()
    login_as(moderator)

    response = client.post(
        f"/moderation/responses/{published.id}",
        data={"action": "hide", "expected": "published", "reason": "advertising"},
    )

    assert response.status_code == 303
    _db.session.expire_all()
    assert _db.session.get(type(published), published.id).state == ResponseState.HIDDEN
    assert _db.session.scalar(select(Report.resolution).where(Report.response_id == published.id)) == "hidden"
    assert (
        _db.session.scalar(
            select(Tally.count).where(Tally.consultation_id == published.consultation_id, Tally.key == "published")
        )
        == 0
    )


def test_dismissing_reports_keeps_the_response_and_empties_the_queue(client, login_as, moderator, published):
    moderation_services.report_response(someone(), published, {"reason": "不同意"})
    _db.session.commit()
    login_as(moderator)

    response = client.post(f"/moderation/responses/{published.id}", data={"action": "dismiss", "expected": "published"})

    assert response.status_code == 303
    assert f"moderation-item-{published.id}" not in _text(client.get("/moderation"))
    assert (
        _db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "response.reports_dismiss")
        )
        == 1
    )


def test_approving_and_sending_back_a_consultation_from_the_queue(client, login_as, moderator, school):
    first = create_consultation(school, Phase.SUBMITTED, title="甲")
    second = create_consultation(school, Phase.SUBMITTED, title="乙")
    login_as(moderator)

    approved = client.post(f"/moderation/consultations/{first.id}", data={"action": "approve"})
    no_reason = client.post(f"/moderation/consultations/{second.id}", data={"action": "send_back", "reason": ""})
    sent_back = client.post(
        f"/moderation/consultations/{second.id}", data={"action": "send_back", "reason": "请补充预算"}
    )
    again = client.post(
        f"/moderation/consultations/{first.id}", data={"action": "approve"}, headers={"Accept-Language": "en"}
    )

    assert (approved.status_code, no_reason.status_code, sent_back.status_code, again.status_code) == (
        303,
        422,
        303,
        409,
    )
    assert "区审核员 already approved this" in _text(again)
    _db.session.expire_all()
    assert _db.session.get(type(first), first.id).status == ConsultationStatus.APPROVED
    assert _db.session.get(type(second), second.id).sent_back_reason == "请补充预算"


def test_approving_with_htmx_on_the_consultation_s_own_page_shows_the_page_again_as_it_is_now(
    client, login_as, moderator, school
):
    on_its_page = create_consultation(school, Phase.SUBMITTED, title="甲")
    in_the_queue = create_consultation(school, Phase.SUBMITTED, title="乙")
    login_as(moderator)
    htmx = {"HX-Request": "true", "Accept-Language": "en"}

    from_page = client.post(
        f"/moderation/consultations/{on_its_page.id}",
        data={"action": "approve"},
        headers={**htmx, "HX-Current-URL": f"http://localhost/consultations/{on_its_page.id}"},
    )
    from_queue = client.post(
        f"/moderation/consultations/{in_the_queue.id}",
        data={"action": "approve"},
        headers={**htmx, "HX-Current-URL": "http://localhost/moderation"},
    )

    # Its badge and the moderators' part said "awaiting approval": the page is loaded again.
    assert (from_page.status_code, from_page.headers["HX-Redirect"]) == (204, f"/consultations/{on_its_page.id}")
    page = _text(client.get(f"/consultations/{on_its_page.id}", headers={"Accept-Language": "en"}))
    assert "The consultation is approved" in page
    # In the queue the item alone is swapped for the message, as before.
    assert from_queue.status_code == 200 and "HX-Redirect" not in from_queue.headers
    assert "The consultation is approved" in _text(from_queue)


def test_bulk_approve_publishes_the_selected_and_skips_the_rest(
    client, login_as, moderator, other_moderator, open_consultation, other_school
):
    mine = [respond(open_consultation, someone()) for _ in range(3)]
    theirs = respond(create_consultation(other_school, Phase.OPEN), someone())
    moderation_services.moderate(None, mine[2], "reject", "跑题")
    _db.session.commit()
    login_as(moderator)

    response = client.post(
        "/moderation/bulk-approve",
        data={"response_id": [str(mine[0].id), str(mine[1].id), str(mine[2].id), str(theirs.id), "abc"]},
        headers={"Accept-Language": "en"},
    )

    assert response.status_code == 303
    _db.session.expire_all()
    states = [_db.session.get(type(r), r.id).state for r in (*mine, theirs)]
    assert states == [ResponseState.PUBLISHED, ResponseState.PUBLISHED, ResponseState.REJECTED, ResponseState.PENDING]


def test_publishing_none_selected_says_why_at_the_top_and_the_message_takes_focus(client, login_as, moderator, pending):
    login_as(moderator)

    response = client.post("/moderation/bulk-approve", data={}, headers={"Accept-Language": "en"})

    page = _text(response)
    assert response.status_code == 422
    assert 'id="moderation-problem" tabindex="-1" autofocus><p>Select at least one response to approve.' in page
    assert _db.session.get(type(pending), pending.id).state == ResponseState.PENDING


def test_the_publish_selected_button_is_offered_only_where_a_pending_response_can_be_selected(
    client, login_as, moderator, school
):
    create_consultation(school, Phase.SUBMITTED)  # something waiting, nothing to select
    login_as(moderator)

    without = _text(client.get("/moderation", headers={"Accept-Language": "en"}))
    respond(create_consultation(school, Phase.OPEN), someone())
    _db.session.commit()
    with_one = _text(client.get("/moderation", headers={"Accept-Language": "en"}))

    assert "Nothing is waiting" not in without
    assert "Publish the selected responses" not in without
    assert "Publish the selected responses" in with_one


def test_actions_need_the_csrf_token(csrf_client, moderator, pending):
    logged_in = session_id(moderator)
    with csrf_client.session_transaction() as session:
        session["_user_id"] = logged_in
        session["_fresh"] = True

    response = csrf_client.post(f"/moderation/responses/{pending.id}", data={"action": "publish"})

    assert response.status_code == 400
    assert _db.session.get(type(pending), pending.id).state == ResponseState.PENDING


def test_htmx_reject_without_a_reason_shows_the_item_again_with_the_message(client, login_as, moderator, pending):
    login_as(moderator)

    response = client.post(
        f"/moderation/responses/{pending.id}",
        data={"action": "reject", "expected": "pending"},
        headers={"HX-Request": "true", "Accept-Language": "en"},
    )

    assert response.status_code == 422
    assert f'id="moderation-item-{pending.id}"' in _text(response)
    assert 'role="alert"' in _text(response) and "Choose a reason" in _text(response)
    assert 'name="reason_detail"' in _text(response)  # the forms are still there


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_rejecting_without_a_reason_opens_the_form_again_with_the_reason_beside_the_field_and_a_summary_to_focus(
    client, login_as, moderator, pending, htmx
):
    login_as(moderator)
    headers = {"Accept-Language": "en", **({"HX-Request": "true"} if htmx else {})}

    response = client.post(
        f"/moderation/responses/{pending.id}",
        data={"action": "reject", "expected": "pending", "reason": "other", "reason_detail": " "},
        headers=headers,
    )

    page = _text(response)
    assert response.status_code == 422
    assert ("<html" in page) is not htmx  # htmx swaps the item; without it the queue comes back
    item = page[page.index(f'id="moderation-item-{pending.id}"') :]
    reason_id = f"reject-reason-{pending.id}"
    # The summary takes focus (autofocus; static/js/portal.js after htmx's swap) and leads to the field.
    assert '<div class="error-summary" role="alert" tabindex="-1" autofocus>' in item
    assert f'<a href="#{reason_id}">Choose a reason, or write one.</a>' in item
    assert '<details class="response-action" open>' in item
    assert f'aria-invalid="true" aria-describedby="{reason_id}-error"' in item
    assert f'<p class="error" id="{reason_id}-error">Choose a reason, or write one.</p>' in item
    assert '<option value="other" selected>' in item  # what was chosen is kept
    assert page.count('class="error-summary"') == 1
    assert _db.session.get(type(pending), pending.id).state == ResponseState.PENDING


def test_sending_a_consultation_back_without_a_reason_keeps_it_in_the_queue_with_the_reason_beside_the_field(
    client, login_as, moderator, school
):
    submitted = create_consultation(school, Phase.SUBMITTED, title="待审批的征集")
    login_as(moderator)

    response = client.post(
        f"/moderation/consultations/{submitted.id}",
        data={"action": "send_back", "reason": "  "},
        headers={"HX-Request": "true", "Accept-Language": "en"},
    )

    page = _text(response)
    assert response.status_code == 422
    assert f'id="moderation-item-c{submitted.id}"' in page and "data-moderation-done" not in page
    assert f'<a href="#send-back-{submitted.id}">' in page
    assert f'<p class="error" id="send-back-{submitted.id}-error">' in page
    assert _db.session.get(type(submitted), submitted.id).status == ConsultationStatus.SUBMITTED


def test_the_queue_is_paginated_twenty_a_page(client, login_as, moderator, open_consultation):
    responses = [respond(open_consultation, someone(), body=f"第{n}条") for n in range(23)]
    login_as(moderator)

    first = _text(client.get("/moderation"))
    second = _text(client.get("/moderation?page=2"))

    assert first.count('class="moderation-item response-card"') == 20
    assert second.count('class="moderation-item response-card"') == 3
    assert f"moderation-item-{responses[0].id}" in first and f"moderation-item-{responses[-1].id}" in second
    assert 'rel="next"' in first and 'rel="prev"' in second


def test_htmx_action_on_a_handled_item_answers_409_with_who_handled_it(
    client, login_as, moderator, second_moderator, pending
):
    moderation_services.moderate(second_moderator, pending, "publish")
    _db.session.commit()
    login_as(moderator)

    response = client.post(
        f"/moderation/responses/{pending.id}",
        data={"action": "publish", "expected": "pending"},
        headers={"HX-Request": "true", "Accept-Language": "en"},
    )

    assert response.status_code == 409
    assert f'id="moderation-item-{pending.id}"' in _text(response) and "第二审核员 already published this" in _text(
        response
    )


def test_the_filter_lists_a_district_s_schools_by_english_name_in_english_and_by_pinyin_in_chinese(
    client, login_as, moderator, school
):
    from tests.helpers import factories

    # Their Chinese names are in the other order (甲 jia3 before 乙 yi3 by pinyin).
    factories.school(school.authority, name_zh="甲小学", name_en="Zebra Primary")
    factories.school(school.authority, name_zh="乙小学", name_en="Apple Primary")
    login_as(moderator)

    english = _text(client.get("/moderation", headers={"Accept-Language": "en"}))
    chinese = _text(client.get("/moderation", headers={"Accept-Language": "zh"}))

    in_english = re.search(r'<select id="filter-school".*?</select>', english, re.S).group(0)
    in_chinese = re.search(r'<select id="filter-school".*?</select>', chinese, re.S).group(0)
    assert in_english.index(">Apple Primary") < in_english.index(">Zebra Primary")
    assert in_chinese.index(">甲小学") < in_chinese.index(">乙小学")
