"""Published responses: newest first, a page at a time ("load more" with htmx, older pages
without it), by stance; and reporting one to the moderators."""

import re

import pytest
from sqlalchemy import select

from portal.moderation.models import Report
from tests.helpers.pages import ENGLISH, HTMX, field_error, location_path, log_in


def bodies(page: str) -> list[str]:
    return re.findall(r'<p class="response-body text-block" dir="auto">([^<]+)</p>', page)


@pytest.fixture
def many_responses(make_consultation, make_response, make_user):
    """An open consultation with 45 published responses: 15 of each stance, "回应00" the oldest."""
    consultation = make_consultation()
    stances = ["support", "oppose", "neutral"]
    for n in range(45):
        make_response(consultation, make_user(), stances[n % 3], body=f"回应{n:02d}", publish=True)
    return consultation


def test_the_page_shows_the_newest_twenty_and_a_load_more_link(client, many_responses):
    page = client.get(f"/consultations/{many_responses.id}", headers=ENGLISH).get_data(as_text=True)

    assert bodies(page) == [f"回应{n:02d}" for n in range(44, 24, -1)]
    assert re.search(rf'href="/consultations/{many_responses.id}/responses\?before=\d+" hx-get=', page)
    assert "Load more responses" in page


def test_load_more_with_htmx_appends_the_next_twenty_and_replaces_the_link(client, many_responses):
    page = client.get(f"/consultations/{many_responses.id}").get_data(as_text=True)
    next_url = (
        re.search(r'<a class="button button-secondary" href="([^"]+)" hx-get', page).group(1).replace("&amp;", "&")
    )

    fragment = client.get(next_url, headers={**HTMX, "HX-Target": "response-list", **ENGLISH}).get_data(as_text=True)

    assert bodies(fragment) == [f"回应{n:02d}" for n in range(24, 4, -1)]
    assert "<html" not in fragment and "<section" not in fragment
    assert '<div id="load-more" hx-swap-oob="true">' in fragment
    assert 'id="responses-status" hx-swap-oob="innerHTML">20 more responses shown.' in fragment
    assert re.search(
        r'<li class="response-card" id="response-\d+" tabindex="-1" autofocus>', fragment
    )  # the focus moves to the first new one
    last_url = (
        re.search(r'<a class="button button-secondary" href="([^"]+)" hx-get', fragment).group(1).replace("&amp;", "&")
    )
    last = client.get(last_url, headers={**HTMX, "HX-Target": "response-list"}).get_data(as_text=True)
    assert bodies(last) == [f"回应{n:02d}" for n in range(4, -1, -1)]
    assert '<div id="load-more" hx-swap-oob="true">\n</div>' in last or "Load more" not in last


def test_without_htmx_the_next_responses_are_a_page_of_their_own(client, many_responses):
    first = client.get(f"/consultations/{many_responses.id}").get_data(as_text=True)
    load_more = re.search(r'<a class="button button-secondary" href="([^"]+)" hx-get', first)
    next_url = load_more.group(1).replace("&amp;", "&")

    page = client.get(next_url, headers=ENGLISH).get_data(as_text=True)

    assert "<html" in page and "Responses to “关于调整课后服务时间的意见征集”" in page
    assert bodies(page) == [f"回应{n:02d}" for n in range(24, 4, -1)]
    assert "45 published responses, newest first." in page


def test_responses_can_be_filtered_by_stance(client, many_responses):
    fragment = client.get(
        f"/consultations/{many_responses.id}/responses?stance=oppose", headers={**HTMX, "HX-Target": "responses"}
    ).get_data(as_text=True)

    assert fragment.lstrip().startswith('<section id="responses"')
    assert bodies(fragment) == [f"回应{n:02d}" for n in range(43, 0, -3)][:15]
    assert 'value="oppose" checked' in fragment
    assert "Load more" not in fragment  # 15 of them: one page


def test_stance_filter_without_htmx_is_the_responses_page(client, many_responses):
    page = client.get(f"/consultations/{many_responses.id}/responses?stance=neutral").get_data(as_text=True)

    assert "<html" in page and len(bodies(page)) == 15


@pytest.mark.parametrize("query", ["stance=maybe", "before=abc", "before=-5", "before=99999999999", "stance=&before="])
def test_odd_filters_are_ignored(client, many_responses, query):
    response = client.get(f"/consultations/{many_responses.id}/responses?{query}")

    assert response.status_code == 200 and len(bodies(response.get_data(as_text=True))) == 20


def test_responses_of_a_consultation_not_yet_approved_are_not_found(client, make_consultation):
    from portal.consultations.models import Phase

    consultation = make_consultation(Phase.SUBMITTED)

    assert client.get(f"/consultations/{consultation.id}/responses").status_code == 404


# Reporting


@pytest.fixture
def published(make_consultation, make_response, make_user):
    consultation = make_consultation()
    return make_response(consultation, make_user(), "oppose", body="这条回应有人身攻击", publish=True)


def report_url(response) -> str:
    return f"/consultations/{response.consultation_id}/responses/{response.id}/report"


def reports(db, response) -> list[Report]:
    return list(db.session.scalars(select(Report).where(Report.response_id == response.id)))


def test_each_published_response_can_be_reported_by_those_logged_in(client, published, resident):
    page = client.get(f"/consultations/{published.consultation_id}", headers=ENGLISH).get_data(as_text=True)
    assert "Log in to report this response" in page and report_url(published) not in page
    assert f'class="response-login" href="/login?next=/consultations/{published.consultation_id}"' in page

    log_in(client, resident)
    page = client.get(f"/consultations/{published.consultation_id}", headers=ENGLISH).get_data(as_text=True)
    assert "Report this response" in page
    # The form is fetched when the disclosure is opened (htmx), or opened on its own page by the
    # link inside it: the page does not carry a hidden form for each response.
    assert f'hx-get="{report_url(published)}" hx-trigger="toggle once"' in page
    assert f'<a href="{report_url(published)}">Write what is wrong with it</a>' in page
    assert f'id="report-reason-{published.id}"' not in page and f'action="{report_url(published)}"' not in page


def test_the_report_form_opens_in_place_with_htmx_and_on_a_page_without(client, published, resident):
    log_in(client, resident)

    fragment = client.get(report_url(published), headers={**HTMX, **ENGLISH})
    page = client.get(report_url(published), headers=ENGLISH)

    assert fragment.status_code == page.status_code == 200
    fragment_html = fragment.get_data(as_text=True)
    assert fragment_html.strip().startswith(f'<div class="report-form" id="report-{published.id}">')
    assert f'action="{report_url(published)}"' in fragment_html
    assert f'id="report-reason-{published.id}"' in fragment_html
    assert "<html" not in fragment_html
    page_html = page.get_data(as_text=True)
    assert "<html" in page_html and "Report a response" in page_html and "这条回应有人身攻击" in page_html
    assert f'action="{report_url(published)}"' in page_html


def test_the_report_form_says_why_instead_for_ones_own_response_or_one_already_reported(client, published, resident):
    log_in(client, published.author)
    own = client.get(report_url(published), headers={**HTMX, **ENGLISH}).get_data(as_text=True)
    assert "This is your own response" in own and "<form" not in own

    log_in(client, resident)
    client.post(report_url(published), data={"reason": "人身攻击"})
    again = client.get(report_url(published), headers=ENGLISH).get_data(as_text=True)
    assert "You have already reported this response." in again and f'action="{report_url(published)}"' not in again


def test_the_report_form_is_for_those_logged_in_and_only_for_published_responses(
    client, published, make_consultation, make_response, make_user, resident
):
    response = client.get(report_url(published))
    assert response.status_code == 302
    assert location_path(response) == "/login?next=" + report_url(published).replace("/", "%2F")

    pending = make_response(make_consultation(), make_user())
    log_in(client, resident)
    assert client.get(report_url(pending)).status_code == 404
    assert client.get(f"/consultations/{published.consultation_id}/responses/999999/report").status_code == 404


def test_reporting_sends_it_to_the_moderators(client, db, published, resident):
    log_in(client, resident)

    response = client.post(report_url(published), data={"reason": "人身攻击"}, headers=ENGLISH)

    assert response.status_code == 303
    assert location_path(response) == f"/consultations/{published.consultation_id}/responses?before={published.id + 1}"
    (report,) = reports(db, published)
    assert report.reporter_id == resident.id and report.reason == "人身攻击"


def test_reporting_with_htmx_answers_in_place(client, db, published, resident):
    log_in(client, resident)

    response = client.post(report_url(published), data={"reason": "人身攻击"}, headers={**HTMX, **ENGLISH})

    assert response.status_code == 200
    assert response.get_data(as_text=True).strip().startswith(f'<div class="report-form" id="report-{published.id}">')
    assert "Your report has gone to the moderators." in response.get_data(as_text=True)


def test_a_report_needs_a_reason(client, db, published, resident):
    log_in(client, resident)

    fragment = client.post(report_url(published), data={"reason": "  "}, headers={**HTMX, **ENGLISH})
    page = client.post(report_url(published), data={}, headers=ENGLISH)

    assert fragment.status_code == page.status_code == 422
    assert field_error(fragment.get_data(as_text=True), f"report-reason-{published.id}") == "Please say why."
    assert "<html" in page.get_data(as_text=True) and "Report a response" in page.get_data(as_text=True)
    assert reports(db, published) == []


def test_reporting_twice_keeps_one_report(client, db, published, resident):
    log_in(client, resident)
    client.post(report_url(published), data={"reason": "人身攻击"})

    response = client.post(report_url(published), data={"reason": "再报一次"}, headers={**HTMX, **ENGLISH})

    assert response.status_code == 200 and "You have already reported this response." in response.get_data(as_text=True)
    assert len(reports(db, published)) == 1


def test_nobody_reports_their_own_response(client, db, published):
    log_in(client, published.author)

    response = client.post(report_url(published), data={"reason": "测试"}, headers={**HTMX, **ENGLISH})

    assert response.status_code == 422 and "your own response" in response.get_data(as_text=True)
    assert reports(db, published) == []


def test_responses_that_are_not_published_cannot_be_reported(
    client, db, make_consultation, make_response, make_user, resident
):
    pending = make_response(make_consultation(), make_user())
    log_in(client, resident)

    assert client.post(report_url(pending), data={"reason": "看不到的"}).status_code == 404
    assert (
        client.post(
            f"/consultations/{pending.consultation_id}/responses/999999/report", data={"reason": "x"}
        ).status_code
        == 404
    )


def test_a_response_of_another_consultation_is_not_found_here(client, db, published, make_consultation, resident):
    other = make_consultation()
    log_in(client, resident)

    assert (
        client.post(f"/consultations/{other.id}/responses/{published.id}/report", data={"reason": "x"}).status_code
        == 404
    )


def test_reporting_is_limited_per_account(
    app, client, db, make_consultation, make_response, make_user, resident, rate_limits, monkeypatch
):
    monkeypatch.setitem(app.config, "PORTAL_REPORT_LIMIT_PER_ACCOUNT", "2 per hour")
    consultation = make_consultation()
    targets = [make_response(consultation, make_user(), publish=True) for _ in range(3)]
    log_in(client, resident)

    statuses = [client.post(report_url(target), data={"reason": "广告"}).status_code for target in targets]

    assert statuses == [303, 303, 429]


def test_moderators_see_how_often_a_response_was_reported_in_the_consultations_part_of_the_queue(
    client, db, published, resident, moderator
):
    log_in(client, resident)
    client.post(report_url(published), data={"reason": "人身攻击"})
    log_in(client, moderator)
    queue_part = f"/moderation?consultation={published.consultation_id}"

    page = client.get(f"/consultations/{published.consultation_id}", headers=ENGLISH).get_data(as_text=True)
    part = client.get(queue_part, headers={**ENGLISH, **HTMX, "HX-Target": "moderation-queue"}).get_data(as_text=True)

    assert f'hx-get="{queue_part}"' in page and f'href="{queue_part}"' in page  # loaded in place, or a link
    assert f'id="moderation-item-{published.id}"' in part
    assert "1 open report" in part and "人身攻击" in part
