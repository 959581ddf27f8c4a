"""A consultation's public page, /consultations/<id>: the proposal, its dates and audience, the
results as charts with tables, published responses, the outcome (or that it is overdue), and
what each person may do there."""

import html
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest

from portal.clock import utcnow
from portal.consultations.models import Consultation, Phase
from portal.moderation import services as moderation_services
from tests.helpers.consultations import publish_outcome
from tests.helpers.decisions import insert_published
from tests.helpers.pages import ENGLISH, heading, log_in


def page_of(client, consultation, status=200, headers=ENGLISH) -> str:
    response = client.get(f"/consultations/{consultation.id}", headers=headers)
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def section(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert match, f"the page has no #{section_id}"
    return match.group(0)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def fact(page: str, term: str) -> str:
    match = re.search(rf"<dt>{re.escape(term)}</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S)
    assert match, f"no fact {term!r}"
    return text_of(match.group(1))


def test_visitor_reads_an_open_consultation_and_is_asked_to_log_in_to_respond(client, make_consultation, school):
    consultation = make_consultation()

    page = page_of(client, consultation)

    assert heading(page) == "关于调整课后服务时间的意见征集"
    assert "Open for comment" in page
    assert fact(page, "Consulting").startswith(school.name_en)
    assert fact(page, "Who may respond") == "Anyone with an account"
    assert "<h3>提案</h3>" in page  # the proposal's Markdown, headings moved below the page's
    respond = section(page, "respond")
    assert "Log in to respond" in respond and f"/login?next=/consultations/{consultation.id}" in respond
    assert 'id="response-form"' not in respond


def test_a_consultation_not_yet_approved_is_not_found_for_the_public(
    client, make_consultation, make_user, other_school
):
    for phase in (Phase.DRAFT, Phase.SUBMITTED):
        consultation = make_consultation(phase)
        page_of(client, consultation, status=404)
        log_in(client, make_user(role="parent", scope=consultation.school))
        page_of(client, consultation, status=404)
        log_in(client, make_user(role="school_admin", scope=other_school))
        page_of(client, consultation, status=404)
        client.post("/logout")


def test_moderator_of_the_district_sees_a_submitted_consultation_with_its_part_of_the_queue(
    client, make_consultation, moderator
):
    consultation = make_consultation(Phase.SUBMITTED)
    log_in(client, moderator)

    moderation = section(page_of(client, consultation), "moderation")

    assert "submitted it on" in moderation  # where it stands
    # Approving and sending back are the moderation queue's (tests/consultations/test_consultation_moderation.py).
    assert f'href="/moderation?consultation={consultation.id}"' in moderation
    assert f'hx-get="/moderation?consultation={consultation.id}"' in moderation


def test_unknown_consultation_is_not_found(client, db):
    assert client.get("/consultations/999999").status_code == 404
    assert client.get("/consultations/99999999999").status_code == 404


def test_scheduled_consultation_says_when_it_opens(client, make_consultation, resident):
    consultation = make_consultation(Phase.SCHEDULED)
    log_in(client, resident)

    respond = section(page_of(client, consultation), "respond")

    assert "Responses are accepted from" in respond and 'id="response-form"' not in respond


def test_someone_in_the_audience_gets_the_form_with_every_question(client, make_consultation, parent):
    consultation = make_consultation(audience="parents")
    log_in(client, parent)

    respond = section(page_of(client, consultation), "respond")

    assert 'id="response-form"' in respond
    for value in ("support", "oppose", "neutral"):
        assert f'name="stance" type="radio" value="{value}"' in respond
    single, multiple, text = consultation.questions
    assert respond.count(f'name="answer_{single.id}" type="radio"') == 3
    assert respond.count(f'name="answer_{multiple.id}" type="checkbox"') == 4
    assert f'name="answer_{text.id}"' in respond and "<textarea" in respond
    assert 'name="show_name"' in respond
    assert "0 of 5,000 characters" in respond


def test_someone_outside_the_audience_is_told_how_to_get_an_invitation_code(client, make_consultation, resident):
    consultation = make_consultation(audience="parents")
    log_in(client, resident)

    respond = section(page_of(client, consultation), "respond")

    assert 'id="response-form"' not in respond
    assert "Only verified parents of First Test Primary School can respond" in text_of(respond)
    assert "invitation code" in respond
    assert 'href="/me#invitation-heading"' in respond


def test_closed_consultation_no_longer_takes_responses(client, make_consultation, resident):
    consultation = make_consultation(Phase.CLOSED)
    log_in(client, resident)

    page = page_of(client, consultation)

    assert "Closed" in page
    assert "Responses are no longer accepted." in section(page, "respond")
    assert 'id="response-form"' not in page


def test_results_show_charts_with_equivalent_tables(client, make_consultation, make_response, make_user, school):
    consultation = make_consultation()
    single, multiple, _text = consultation.questions
    for stance, choice in (("support", "1"), ("support", "1"), ("oppose", "0")):
        make_response(
            consultation,
            make_user(),
            stance,
            answers={str(single.id): choice, str(multiple.id): ["0", "2"]},
            publish=True,
        )
    make_response(consultation, make_user(), "neutral")  # awaiting moderation: not counted

    results = section(page_of(client, consultation), "results")

    assert "Counted from 3 published responses." in results
    charts = re.findall(r'<figure class="chart" id="([^"]+)">', results)
    assert charts == ["chart-stance", f"chart-question-{single.id}", f"chart-question-{multiple.id}"]
    for chart_id in charts:
        figure = re.search(rf'<figure class="chart" id="{chart_id}">.*?</figure>', results, re.S).group(0)
        assert re.search(r'<svg class="chart-svg"[^>]*aria-hidden="true"', figure)
        assert f'<table class="visually-hidden chart-table" aria-labelledby="{chart_id}-caption">' in figure
    stance_table = re.search(r'id="chart-stance".*?<tbody>(.*?)</tbody>', results, re.S).group(1)
    assert re.findall(r'<th scope="row" dir="auto">([^<]+)</th><td>(\d+)</td><td>(\d+)%</td>', stance_table) == [
        ("Support", "2", "67"),
        ("Oppose", "1", "33"),
        ("Neutral", "0", "0"),
    ]
    single_table = re.search(rf'id="chart-question-{single.id}".*?<tbody>(.*?)</tbody>', results, re.S).group(1)
    assert re.findall(r'<th scope="row" dir="auto">([^<]+)</th><td>(\d+)</td>', single_table) == [
        ("17:00", "1"),
        ("17:30", "2"),
        ("18:00", "0"),
    ]
    # The bars are drawn from the same numbers: 2 of 3 is 66.67 % of the 72 % track.
    assert 'class="chart-bar chart-bar-support" x="0" y="22" width="48.00%"' in results
    assert "add up to more than 100%." in results  # the multiple-choice question says why


def test_without_published_responses_there_are_no_charts(client, make_consultation, make_response, parent):
    consultation = make_consultation()
    make_response(consultation, parent)

    results = section(page_of(client, consultation), "results")

    assert "No responses have been published yet" in results and "<svg" not in results


def test_rejected_responses_are_counted_publicly_by_reason_without_their_content(
    client, db, make_consultation, make_response, make_user, moderator
):
    consultation = make_consultation()
    for n, reason in enumerate(["人身攻击", "人身攻击", "广告"]):
        response = make_response(consultation, make_user(), body=f"不该出现的内容{n}")
        moderation_services.moderate(moderator, response, "reject", reason)
    db.session.commit()

    page = page_of(client, consultation)

    rejected = re.search(r'<table class="rejected-counts".*?</table>', page, re.S).group(0)
    assert re.findall(r'<td dir="auto">([^<]+)</td><td class="nowrap">(\d+)</td>', rejected) == [
        ("人身攻击", "2"),
        ("广告", "1"),
    ]
    assert "不该出现的内容" not in page


def test_published_responses_are_listed_newest_first_with_names_only_where_chosen(
    client, make_consultation, make_response, make_user
):
    consultation = make_consultation()
    make_response(
        consultation, make_user(display_name="愿意署名的家长"), "support", body="第一条", show_name=True, publish=True
    )
    make_response(consultation, make_user(display_name="不愿署名的家长"), "oppose", body="第二条", publish=True)
    make_response(consultation, make_user(display_name="待审核的人"), "neutral", body="第三条")

    responses = section(page_of(client, consultation), "responses")

    bodies = re.findall(r'<p class="response-body text-block" dir="auto">([^<]+)</p>', responses)
    assert bodies == ["第二条", "第一条"]
    assert "愿意署名的家长" in responses
    assert "不愿署名的家长" not in responses and "Anonymous" in responses
    assert "待审核的人" not in responses and "第三条" not in responses


def test_the_school_and_moderators_know_who_wrote_an_anonymous_response(
    client, make_consultation, make_response, make_user, moderator, school_admin, parent
):
    consultation = make_consultation()
    make_response(consultation, make_user(display_name="不愿署名的家长"), "oppose", publish=True)

    for person, sees in ((parent, False), (school_admin, True), (moderator, True)):
        log_in(client, person)
        assert ("不愿署名的家长" in section(page_of(client, consultation), "responses")) is sees


def test_page_links_to_both_exports(client, make_consultation):
    consultation = make_consultation()

    responses = section(page_of(client, consultation), "responses")

    assert f'href="/consultations/{consultation.id}/responses.csv"' in responses
    assert f'href="/consultations/{consultation.id}/responses.json"' in responses


def test_outcome_overdue_after_the_configured_days(app, client, db, make_consultation):
    consultation = make_consultation(Phase.CLOSED)  # closed ten days ago
    assert 'id="outcome-overdue"' not in page_of(client, consultation)

    consultation = db.session.get(Consultation, consultation.id)
    consultation.closes_at = utcnow() - timedelta(days=31)
    db.session.commit()
    page = page_of(client, consultation)
    assert 'id="outcome-overdue"' in page
    assert "more than 30 days ago" in page
    assert '<span class="tag consultation-overdue">Outcome overdue</span>' in page

    app.config["PORTAL_OUTCOME_DAYS"] = 60
    try:
        assert 'id="outcome-overdue"' not in page_of(client, consultation)
    finally:
        app.config["PORTAL_OUTCOME_DAYS"] = 30


def test_published_outcome_shows_themes_changes_decisions_and_the_pdf(client, db, make_consultation, school):
    consultation = make_consultation(Phase.CLOSED)
    # Long ago: with an outcome it is never overdue.
    consultation.opens_at, consultation.closes_at = utcnow() - timedelta(days=120), utcnow() - timedelta(days=90)
    publish_outcome(consultation)
    decision = insert_published(
        school, title="关于调整课后服务时间的决定", consultation_id=consultation.id, commit=False
    )
    insert_published(school, title="无关的决定", commit=False)
    db.session.commit()

    page = page_of(client, consultation)

    outcome = section(page, "outcome")
    assert "Outcome published" in page and 'id="outcome-overdue"' not in page
    assert "多数家长支持延长至17:30。" in outcome and "自下学期起，课后服务于17:30结束。" in outcome
    assert re.findall(r'<td dir="auto">([^<]+)</td><td class="nowrap">(\d+)</td>', outcome) == [
        ("接送时间", "12"),
        ("体育活动", "7"),
    ]
    assert f'href="/decisions/{decision.id}"' in outcome and "无关的决定" not in outcome
    assert f'href="/consultations/{consultation.id}/outcome.pdf"' in outcome
    assert f'<code class="fingerprint">{consultation.outcome_document_sha256}</code>' in outcome


def test_outcome_pdf_is_the_archived_document(client, make_consultation):
    consultation = publish_outcome(make_consultation(Phase.CLOSED))

    response = client.get(f"/consultations/{consultation.id}/outcome.pdf")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["ETag"] == f'"{consultation.outcome_document_sha256}"'
    assert response.data.startswith(b"%PDF-")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    # Named in the reader's language (Chinese by default), the consultation's title with it.
    name = unquote(response.headers["Content-Disposition"].split("filename*=UTF-8''")[1])
    assert "Outcome" not in name and "结果" in name and consultation.title in name


def test_outcome_pdf_is_not_found_before_an_outcome_or_without_a_document(client, make_consultation):
    assert client.get(f"/consultations/{make_consultation(Phase.CLOSED).id}/outcome.pdf").status_code == 404
    without = publish_outcome(make_consultation(Phase.CLOSED), with_document=False)
    assert client.get(f"/consultations/{without.id}/outcome.pdf").status_code == 404


@pytest.mark.parametrize("who", ["visitor", "parent", "moderator"])
def test_the_page_takes_the_same_number_of_queries_with_3_or_60_responses(
    client, db, make_consultation, make_response, make_user, count_queries, parent, moderator, who
):
    consultation = make_consultation()
    consultation_id, choice_question = consultation.id, str(consultation.questions[1].id)
    address = f"/consultations/{consultation_id}"
    make_response(consultation, parent, body="我的回应")
    make_response(consultation, make_user(), "neutral")  # awaiting moderation
    if who != "visitor":
        log_in(client, parent if who == "parent" else moderator)

    def queries_with(published):
        for _ in range(published):
            make_response(consultation, make_user(), "oppose", answers={choice_question: ["1"]}, publish=True)
        db.session.expire_all()
        with count_queries() as queries:
            assert client.get(address).status_code == 200
        return queries

    few = queries_with(3)
    consultation = db.session.get(Consultation, consultation_id)
    many = queries_with(57)

    assert len(few) == len(many), "\n".join(many)
    assert len(many) <= 12, "\n".join(many)
