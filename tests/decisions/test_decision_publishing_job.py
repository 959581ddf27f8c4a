"""Publishing a decision from its page: the request asks, the job worker renders, signs and
archives (in one transaction), and the page follows it until the decision is published. A second
click, a retried job or a lost one never publishes twice; a failure leaves the draft as it was
and its page says why."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import jobs
from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.decisions import tasks
from portal.decisions.models import Decision, DecisionStatus
from portal.documents import render
from portal.documents.models import Document, PublicationLogEntry
from tests.helpers.pages import ENGLISH, HTMX, field_error, location_path

CHINESE = {"Accept-Language": "zh-CN"}
BEING_PUBLISHED = "This draft is being published. It cannot be changed meanwhile; wait a moment."


def manage_url(school, decision, suffix=""):
    return f"/schools/{school.slug}/manage/decisions/{decision.id}{suffix}"


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(db, decision):
    db.session.remove()
    return db.session.get(Decision, decision.id)


def publishing_jobs():
    return [task for task in jobs.huey.pending() if task.name.endswith("publish_requested_decision")]


@pytest.fixture
def asked(client, school, make_draft, board_member, login_as):
    """A draft whose publication the board member has just asked for (the job not run yet)."""
    draft = make_draft()
    login_as(board_member)
    response = client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"}, headers=ENGLISH)
    assert response.status_code == 303
    return draft


def test_without_javascript_the_board_member_follows_the_link_until_the_decision_is_published(
    client, db, school, asked, run_jobs
):
    status_url = manage_url(school, asked, "/publishing")

    waiting = client.get(status_url, headers=ENGLISH)
    run_jobs()
    done = client.get(status_url, headers=ENGLISH)  # the "check again" link
    decision_page = client.get(location_path(done), headers=ENGLISH)

    assert waiting.status_code == 200
    assert "Publishing: the PDF is being made and signed…" in waiting.text
    assert f'<a class="button button-secondary" href="{status_url}">Check again</a>' in waiting.text
    assert 'http-equiv="refresh"' not in waiting.text  # no timed reload under the reader (WCAG F41)
    decision = fresh(db, asked)
    assert done.status_code == 303 and location_path(done) == f"/decisions/{decision.id}"
    assert decision_page.status_code == 200 and f"Decision {decision.number} is published." in decision_page.text


def test_with_htmx_the_page_asks_every_two_seconds_and_goes_to_the_decision_when_it_is_published(
    client, db, school, asked, run_jobs
):
    status_url = manage_url(school, asked, "/publishing")

    page = client.get(status_url, headers=ENGLISH).text
    still = client.get(status_url, headers={**HTMX, **ENGLISH})
    run_jobs()
    done = client.get(status_url, headers={**HTMX, **ENGLISH})

    assert f'hx-get="{status_url}" hx-trigger="every 2s" hx-swap="none"' in page
    assert still.status_code == 204 and "HX-Redirect" not in still.headers  # nothing changes on the page
    assert done.status_code == 204 and done.headers["HX-Redirect"] == f"/decisions/{asked.id}"


def test_publishing_with_htmx_goes_to_the_page_that_follows_the_publication(
    client, school, make_draft, board_member, login_as
):
    draft = make_draft()
    login_as(board_member)

    response = client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"}, headers=HTMX)

    assert response.status_code == 204 and response.headers["HX-Redirect"] == manage_url(school, draft, "/publishing")


def test_the_request_publishes_nothing_itself_and_records_that_it_was_asked(db, asked):
    decision = fresh(db, asked)

    assert decision.status == DecisionStatus.DRAFT and decision.number is None
    assert decision.publishing_key and decision.publishing_since is not None
    assert count(db, Document) == 0
    assert count(db, AuditEvent, AuditEvent.action == "decision.publish_requested") == 1
    assert len(publishing_jobs()) == 1


def test_a_second_click_while_it_is_being_published_asks_nothing_more_and_it_is_published_once(
    client, db, school, asked, run_jobs
):
    again = client.post(manage_url(school, asked, "/publish"), data={"confirm": "y"}, headers=ENGLISH)

    assert again.status_code == 303 and location_path(again) == manage_url(school, asked, "/publishing")
    assert len(publishing_jobs()) == 1
    assert count(db, AuditEvent, AuditEvent.action == "decision.publish_requested") == 1
    run_jobs()
    assert fresh(db, asked).number_sequence == 1
    assert count(db, PublicationLogEntry) == 1 and count(db, Document) == 1


def test_a_job_run_again_after_it_published_changes_nothing(app, db, asked, board_member, run_jobs):
    key = fresh(db, asked).publishing_key
    run_jobs()

    with app.app_context():  # the queue retries it (the worker died before it said "done"), or a second worker
        tasks.publish_requested_decision.call_local(asked.id, key, board_member.id)

    decision = fresh(db, asked)
    assert decision.status == DecisionStatus.PUBLISHED and decision.number_sequence == 1
    assert count(db, PublicationLogEntry) == 1 and count(db, Document) == 1
    assert count(db, AuditEvent, AuditEvent.action == "decision.publish") == 1


def test_a_publication_lost_with_its_worker_can_be_asked_again_and_the_old_job_then_does_nothing(
    app, client, db, school, asked, board_member, run_jobs
):
    decision = fresh(db, asked)
    lost_key = decision.publishing_key
    decision.publishing_since = utcnow() - timedelta(minutes=11)  # its worker was stopped long ago
    db.session.commit()
    jobs.huey.flush()  # and its job with it

    page = client.get(manage_url(school, asked), headers=ENGLISH)
    again = client.post(manage_url(school, asked, "/publish"), data={"confirm": "y"}, headers=ENGLISH)
    with app.app_context():  # the lost job turns up after all
        tasks.publish_requested_decision.call_local(asked.id, lost_key, board_member.id)
    assert fresh(db, asked).status == DecisionStatus.DRAFT
    run_jobs()

    assert field_error(page.text, "confirm").startswith("Publishing did not finish, so nothing was published")
    assert again.status_code == 303
    assert fresh(db, asked).number_sequence == 1 and count(db, PublicationLogEntry) == 1


@pytest.fixture
def queue_unreachable(monkeypatch):
    """The job queue refuses every job, as Redis does while it is down."""

    def refuse(*args, **kwargs):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(jobs.huey.storage, "enqueue", refuse)
    return monkeypatch


def test_a_publication_whose_job_could_not_be_queued_is_asked_for_again_by_the_sweep_and_published(
    app, client, db, school, make_draft, board_member, login_as, queue_unreachable, run_jobs
):
    draft = make_draft()
    login_as(board_member)
    failures_before = jobs.enqueue_failures()["count"]

    asked = client.post(manage_url(draft.school, draft, "/publish"), data={"confirm": "y"}, headers=ENGLISH)
    health = client.get("/healthz").get_json()["jobs"]

    assert asked.status_code == 303 and publishing_jobs() == []  # asked for, but nothing queued
    assert health["not_queued"] == failures_before + 1
    assert health["last_not_queued_job"] == "portal.decisions.tasks.publish_requested_decision"
    queue_unreachable.undo()  # the queue is back

    with app.app_context():  # one minute later the job has not run: too early to ask again
        assert tasks.ask_again_for_stalled_publications.call_local(now=utcnow() + timedelta(minutes=1)) == 0
        assert tasks.ask_again_for_stalled_publications.call_local(now=utcnow() + timedelta(minutes=3)) == 1
    assert len(publishing_jobs()) == 1
    run_jobs()

    decision = fresh(db, draft)
    assert decision.status == DecisionStatus.PUBLISHED and decision.published_by_id == board_member.id
    assert count(db, AuditEvent, AuditEvent.action == "decision.publish", AuditEvent.actor_id == board_member.id) == 1


def test_a_publication_given_up_for_lost_is_not_asked_for_again(app, db, asked):
    jobs.huey.flush()  # its job was lost

    with app.app_context():  # eleven minutes later its page offers to publish it again instead
        assert tasks.ask_again_for_stalled_publications.call_local(now=utcnow() + timedelta(minutes=11)) == 0
    assert publishing_jobs() == []
    assert fresh(db, asked).status == DecisionStatus.DRAFT


def test_a_pdf_that_cannot_be_made_leaves_the_draft_and_its_page_says_why_in_chinese(
    client, db, school, make_draft, board_member, login_as, monkeypatch, run_jobs, compiled_catalogues
):
    def broken(*args, **kwargs):
        raise RuntimeError("a font is broken")

    monkeypatch.setattr(render, "render_pdf", broken)
    draft = make_draft()
    login_as(board_member)

    client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"})
    run_jobs()
    back = client.get(manage_url(school, draft, "/publishing"))
    page = client.get(manage_url(school, draft), headers=CHINESE)

    assert location_path(back) == manage_url(school, draft)
    assert field_error(page.text, "confirm") == (
        "决定的 PDF 未能生成，因此未发布任何内容：草稿未做改动，也未占用文号。"
        "请稍后重试；如再次出错，请告知平台管理员。"
    )
    decision = fresh(db, draft)
    assert decision.status == DecisionStatus.DRAFT and decision.number is None and decision.publishing_key is None
    assert count(db, Document) == 0 and count(db, PublicationLogEntry) == 0
    assert count(db, AuditEvent, AuditEvent.action == "decision.publish_failed") == 1

    monkeypatch.undo()  # fixed: the person tries again, and the number was not used up
    client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"})
    run_jobs()
    assert fresh(db, draft).number_sequence == 1
    assert field_error(client.get(manage_url(school, draft)).text, "confirm") is None


def test_a_draft_no_longer_ready_when_the_job_runs_is_not_published_and_its_page_says_why(
    client, db, school, make_draft, make_published, board_member, login_as, run_jobs
):
    earlier = make_published(title="旧决定")
    draft = make_draft(replaces_id=earlier.id)
    login_as(board_member)

    client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"})
    make_published(title="另一项决定", replaces_id=earlier.id)  # someone else superseded it first
    run_jobs()
    page = client.get(manage_url(school, draft), headers=ENGLISH)

    assert field_error(page.text, "confirm") == (
        "The earlier decision is no longer in force: another decision has already superseded or revoked it."
    )
    assert fresh(db, draft).status == DecisionStatus.DRAFT


@pytest.mark.parametrize(
    ("suffix", "data"),
    [("", {"title": "改过的标题", "body": "改过的正文"}), ("/discard", {"confirm_delete": "y"})],
    ids=["edit", "delete"],
)
def test_the_draft_cannot_be_changed_or_deleted_while_it_is_being_published(client, db, school, asked, suffix, data):
    response = client.post(manage_url(school, asked, suffix), data=data, headers=ENGLISH)
    fragment = client.post(manage_url(school, asked, suffix), data=data, headers={**HTMX, **ENGLISH})

    assert response.status_code == 409 and "<h1>This draft is being published</h1>" in response.text
    assert BEING_PUBLISHED in response.text
    assert f'href="{manage_url(school, asked, "/publishing")}"' in response.text
    assert fragment.status_code == 409 and "<html" not in fragment.text and BEING_PUBLISHED in fragment.text
    decision = fresh(db, asked)
    assert decision is not None and decision.title == "关于加强学校食堂管理的决定"


def test_the_draft_page_while_it_is_being_published_shows_progress_instead_of_the_publish_form(client, school, asked):
    page = client.get(manage_url(school, asked), headers=ENGLISH).text

    assert f'action="{manage_url(school, asked, "/publish")}"' not in page
    assert "Publishing: the PDF is being made and signed…" in page
    assert f'href="{manage_url(school, asked, "/publishing")}">See how the publication is going</a>' in page


def test_the_progress_page_of_a_draft_nobody_asked_to_publish_leads_to_the_draft(
    client, school, make_draft, board_member, login_as
):
    draft = make_draft()
    login_as(board_member)

    response = client.get(manage_url(school, draft, "/publishing"))

    assert response.status_code == 303 and location_path(response) == manage_url(school, draft)


@pytest.mark.parametrize(("who", "status"), [("other_school_board_member", 404), ("parent", 403)])
def test_the_progress_page_is_for_the_schools_board_only(
    client, school, other_school, asked, login_as, make_user, parent, who, status
):
    login_as(make_user(role="board_member", scope=other_school) if who == "other_school_board_member" else parent)

    response = client.get(manage_url(school, asked, "/publishing"))

    assert response.status_code == status and "being made" not in response.text
