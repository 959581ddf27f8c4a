"""Board members and school admins draft decisions, preview them as PDFs marked "draft — not
published", and publish them; a published decision never changes again."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.charters import services as charters
from portal.charters.models import CharterStatus, CharterVersion
from portal.decisions.models import Decision, DecisionStatus
from portal.documents.models import Document, PublicationLogEntry
from tests.decisions.conftest import BODY_TEXT
from tests.helpers.pages import ENGLISH, HTMX, field_error, field_value, form_data, forms_on, location_path

PUBLISHED_REFUSAL = "This decision is published. A published decision is never changed"


def manage_url(school, decision=None, suffix=""):
    base = f"/schools/{school.slug}/manage/decisions"
    return (base if decision is None else f"{base}/{decision.id}") + suffix


def form(meeting=None, **changes):
    data = {
        "title": "关于调整课后服务时间的决定",
        "body": "自2026年12月1日起，课后服务结束时间调整为17:30。",
        "meeting_id": str(meeting.id) if meeting else "",
        "votes_for": "3",
        "votes_against": "0",
        "votes_abstain": "0",
        "effective_on": "",
        "replaces_id": "",
        "replaces_how": "supersedes",
        "charter_version_id": "",
    }
    data.update(changes)
    return data


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(db, decision):
    db.session.remove()
    return db.session.get(Decision, decision.id)


# Drafting


def test_board_member_saves_a_draft_and_is_taken_to_it(client, db, school, decision_meeting, board_member, login_as):
    login_as(board_member)

    response = client.post(manage_url(school, suffix="/new"), data=form(decision_meeting))

    decision = db.session.scalar(select(Decision).where(Decision.school_id == school.id))
    assert response.status_code == 303
    assert location_path(response) == manage_url(school, decision)
    assert decision.status == DecisionStatus.DRAFT and decision.number is None
    assert decision.meeting_id == decision_meeting.id and decision.votes_for == 3
    assert count(db, AuditEvent, AuditEvent.action == "decision.draft") == 1


def test_draft_without_a_title_keeps_what_was_typed_and_says_why(
    client, db, school, decision_meeting, board_member, login_as
):
    login_as(board_member)

    response = client.post(
        manage_url(school, suffix="/new"), data=form(decision_meeting, title="  ", body="正文保留"), headers=ENGLISH
    )

    assert response.status_code == 422
    assert field_error(response.text, "title") == "Please enter the decision's title."
    assert "正文保留" in response.text
    assert count(db, Decision) == 0


@pytest.mark.parametrize("votes", ["-1", "abc", "1.5", "10000", "1e3"])
def test_votes_that_are_not_whole_numbers_are_refused_next_to_the_field(
    client, db, school, decision_meeting, board_member, login_as, votes
):
    login_as(board_member)

    response = client.post(
        manage_url(school, suffix="/new"), data=form(decision_meeting, votes_against=votes), headers=ENGLISH
    )

    assert response.status_code == 422
    assert field_error(response.text, "votes_against") == "Enter a whole number of votes from 0 to 999."
    assert field_value(response.text, "votes_against") == votes
    assert count(db, Decision) == 0


def test_votes_typed_with_full_width_digits_are_read_as_numbers(
    client, db, school, decision_meeting, board_member, login_as
):
    login_as(board_member)

    client.post(manage_url(school, suffix="/new"), data=form(decision_meeting, votes_for="２", votes_against="１"))

    decision = db.session.scalar(select(Decision))
    assert (decision.votes_for, decision.votes_against) == (2, 1)


def test_more_votes_than_members_present_is_refused(client, db, school, decision_meeting, board_member, login_as):
    login_as(board_member)  # 3 of 4 members were present

    response = client.post(
        manage_url(school, suffix="/new"),
        data=form(decision_meeting, votes_for="3", votes_abstain="1"),
        headers=ENGLISH,
    )

    assert response.status_code == 422
    assert "More votes were entered than members were recorded present" in field_error(response.text, "votes_for")
    assert count(db, Decision) == 0


def test_another_schools_meeting_cannot_be_chosen(client, db, school, other_school_meeting, board_member, login_as):
    login_as(board_member)

    response = client.post(manage_url(school, suffix="/new"), data=form(other_school_meeting), headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, "meeting_id") == "Choose one of this school's meetings that has taken place."
    assert count(db, Decision) == 0


def test_posted_status_number_or_school_are_ignored(
    client, db, school, other_school, decision_meeting, board_member, login_as
):
    login_as(board_member)

    client.post(
        manage_url(school, suffix="/new"),
        data=form(
            decision_meeting,
            status="published",
            number="〔2026〕99号",
            school_id=str(other_school.id),
            number_sequence="99",
        ),
    )

    decision = db.session.scalar(select(Decision))
    assert decision.status == DecisionStatus.DRAFT
    assert decision.number is None and decision.number_sequence is None and decision.school_id == school.id


def test_text_is_stored_as_typed_and_shown_as_text(client, db, school, decision_meeting, board_member, login_as):
    login_as(board_member)
    typed = '<script>alert(1)</script> <b hx-get="/x">粗</b> 😀'

    client.post(manage_url(school, suffix="/new"), data=form(decision_meeting, title="标题 <i>x</i>", body=typed))

    decision = db.session.scalar(select(Decision))
    assert decision.body == typed
    page = client.get(manage_url(school, decision)).text
    # The preview of the text shows the markup as text: no element, no attribute.
    assert "<script>alert(1)</script>" not in page and '<b hx-get="/x">' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_board_member_edits_a_draft(client, db, school, make_draft, board_member, login_as):
    draft = make_draft()
    login_as(board_member)

    response = client.post(manage_url(school, draft), data=form(draft.meeting, title="新标题"))

    assert response.status_code == 303
    assert fresh(db, draft).title == "新标题"
    assert count(db, AuditEvent, AuditEvent.action == "decision.edit") == 1


def test_draft_can_be_deleted_once_confirmed_and_is_audited(client, db, school, make_draft, school_admin, login_as):
    draft = make_draft()
    login_as(school_admin)

    response = client.post(manage_url(school, draft, "/discard"), data={"confirm_delete": "y"})

    assert response.status_code == 303 and location_path(response) == manage_url(school)
    assert count(db, Decision) == 0
    assert count(db, AuditEvent, AuditEvent.action == "decision.discard") == 1


def test_deleting_a_draft_without_the_tick_deletes_nothing_and_says_why_beside_it(
    client, db, school, make_draft, school_admin, login_as
):
    draft = make_draft()
    login_as(school_admin)

    response = client.post(manage_url(school, draft, "/discard"), data={}, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, "confirm_delete") == "Tick the box to confirm before deleting the draft."
    assert re.search(r'<input[^>]*aria-describedby="confirm_delete-error"[^>]*id="confirm_delete"', response.text)
    assert fresh(db, draft).status == DecisionStatus.DRAFT
    assert count(db, AuditEvent, AuditEvent.action == "decision.discard") == 0


# One page, four forms: the draft, preview, publish and delete. When publishing or deleting is
# refused, the draft's form shows the saved draft, never the blanks of a form that was not sent.


@pytest.mark.parametrize(
    "suffix, tick, message",
    [
        ("/publish", "confirm", "Tick the box to confirm before publishing."),
        ("/discard", "confirm_delete", "Tick the box to confirm before deleting the draft."),
    ],
)
def test_a_refused_publish_or_delete_shows_the_draft_unchanged_and_saving_it_keeps_the_draft(
    client, db, school, make_draft, decision_meeting, board_member, login_as, suffix, tick, message
):
    draft = make_draft(votes_for=2, votes_against=1, effective_on=date(2026, 12, 1))
    login_as(board_member)
    edit_url = manage_url(school, draft)
    as_shown = forms_on(client.get(edit_url).text)

    response = client.post(manage_url(school, draft, suffix), data={}, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, tick) == message
    after = forms_on(response.text)
    assert after[edit_url] == as_shown[edit_url]
    fields = after[edit_url]
    assert fields["title"] == ["关于加强学校食堂管理的决定"] and fields["body"] == [BODY_TEXT]
    assert fields["meeting_id"] == [str(decision_meeting.id)]
    assert (fields["votes_for"], fields["votes_against"], fields["votes_abstain"]) == (["2"], ["1"], ["0"])
    assert fields["effective_on"] == ["2026-12-01"]

    # Saving the page as it came back changes nothing: the draft keeps its real content.
    saved = client.post(edit_url, data=fields)
    assert saved.status_code == 303
    decision = fresh(db, draft)
    assert (decision.title, decision.body, decision.meeting_id) == (
        "关于加强学校食堂管理的决定",
        BODY_TEXT,
        decision_meeting.id,
    )
    assert (decision.votes_for, decision.votes_against, decision.effective_on) == (2, 1, date(2026, 12, 1))
    assert count(db, AuditEvent, AuditEvent.action == "decision.edit") == 0  # nothing was changed


def test_a_refused_save_keeps_what_was_typed_and_the_other_forms_start_clean(
    client, school, make_draft, board_member, login_as
):
    draft = make_draft()
    login_as(board_member)
    edit_url = manage_url(school, draft)
    as_shown = forms_on(client.get(edit_url).text)

    response = client.post(edit_url, data=form(draft.meeting, title="", body="新的正文，尚未保存"), headers=ENGLISH)

    assert response.status_code == 422
    after = forms_on(response.text)
    assert after[edit_url]["body"] == ["新的正文，尚未保存"]
    for action in (manage_url(school, draft, "/publish"), manage_url(school, draft, "/discard")):
        assert after[action] == as_shown[action]
    assert field_error(response.text, "confirm") is None and field_error(response.text, "confirm_delete") is None


def test_management_page_lists_drafts(client, school, make_draft, board_member, login_as):
    make_draft(title="草稿甲")
    login_as(board_member)

    page = client.get(manage_url(school)).text

    assert "草稿甲" in page


# Preview


def test_preview_is_a_pdf_marked_as_a_draft_and_changes_nothing(
    client, db, school, make_draft, board_member, login_as, app
):
    draft = make_draft()
    login_as(board_member)

    response = client.get(manage_url(school, draft, "/preview.pdf"))

    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    assert count(db, Document) == 0 and count(db, PublicationLogEntry) == 0
    assert fresh(db, draft).number is None


def test_preview_with_htmx_says_how_many_pages_and_links_to_the_pdf(client, school, make_draft, board_member, login_as):
    draft = make_draft()
    login_as(board_member)

    response = client.get(manage_url(school, draft, "/preview"), headers={**HTMX, **ENGLISH})

    assert response.status_code == 200
    assert "The preview is ready: 1 page." in response.text
    assert manage_url(school, draft, "/preview.pdf") in response.text


def test_preview_without_javascript_goes_to_the_pdf(client, school, make_draft, board_member, login_as):
    draft = make_draft()
    login_as(board_member)

    response = client.get(manage_url(school, draft, "/preview"))

    assert response.status_code == 303 and location_path(response) == manage_url(school, draft, "/preview.pdf")


# Publishing


def test_publishing_needs_the_confirmation(client, db, school, make_draft, board_member, login_as):
    draft = make_draft()
    login_as(board_member)

    response = client.post(manage_url(school, draft, "/publish"), data={}, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, "confirm") == "Tick the box to confirm before publishing."
    assert fresh(db, draft).status == DecisionStatus.DRAFT


def test_publishing_with_htmx_without_the_tick_swaps_the_publish_panel_with_the_reason(
    client, db, school, make_draft, board_member, login_as
):
    draft = make_draft()
    login_as(board_member)

    response = client.post(manage_url(school, draft, "/publish"), data={}, headers={**HTMX, **ENGLISH})

    assert response.status_code == 422
    panel = response.text
    assert "<html" not in panel
    assert 'id="publish"' in panel and 'name="title"' not in panel
    assert field_error(panel, "confirm") == "Tick the box to confirm before publishing."
    assert 'class="error-summary" role="alert" tabindex="-1" autofocus' in panel
    # A tick's label is a whole sentence: the summary gives its message alone, linked to the box.
    assert '<li><a href="#confirm">Tick the box to confirm before publishing.</a></li>' in panel
    assert fresh(db, draft).status == DecisionStatus.DRAFT


def test_the_publish_button_is_disabled_and_says_it_is_working_while_the_pdf_is_made(
    client, school, make_draft, board_member, login_as
):
    draft = make_draft()
    login_as(board_member)

    page = client.get(manage_url(school, draft), headers=ENGLISH).text

    publish = form_data(page, manage_url(school, draft, "/publish"))
    assert publish == {}  # the tick starts empty
    assert 'hx-indicator="#publish-progress" hx-disabled-elt="find button[type=submit]"' in page
    assert 'id="publish-progress" class="htmx-indicator working" role="status"' in page
    assert 'hx-indicator="#preview-progress"' in page and 'hx-disabled-elt="this" hx-sync="this:drop"' in page


def test_the_publishing_page_promises_to_move_on_by_itself_only_where_javascript_runs(
    client, db, school, make_draft, board_member, login_as
):
    draft = make_draft()
    login_as(board_member)
    client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"})

    page = client.get(manage_url(school, draft, "/publishing"), headers=ENGLISH).get_data(as_text=True)

    assert "<noscript>Press “Check again” in a few seconds to go to the decision.</noscript>" in page
    assert '<span class="js-only">This page then takes you to the decision' in page


def test_board_member_publishes_and_lands_on_the_public_page(
    client, db, school, make_draft, board_member, login_as, run_jobs
):
    draft = make_draft()
    login_as(board_member)

    response = client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"})
    assert response.status_code == 303 and location_path(response) == manage_url(school, draft, "/publishing")
    run_jobs()  # the job worker renders, signs and archives (and tells the subscribers)
    done = client.get(manage_url(school, draft, "/publishing"))

    decision = fresh(db, draft)
    assert done.status_code == 303 and location_path(done) == f"/decisions/{decision.id}"
    assert decision.status == DecisionStatus.PUBLISHED and decision.number.endswith(f"〔{decision.number_year}〕1号")
    assert decision.published_by_id == board_member.id
    assert count(db, AuditEvent, AuditEvent.action == "decision.publish") == 1


def test_incomplete_draft_is_not_published_and_the_page_says_what_is_missing(
    client, db, school, make_draft, board_member, login_as
):
    draft = make_draft(body="", votes_for=0)
    login_as(board_member)

    page = client.get(manage_url(school, draft), headers=ENGLISH).text
    response = client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"}, headers=ENGLISH)

    assert "Write the text of the decision." in page and "Enter the vote" in page
    assert response.status_code == 422
    assert field_error(response.text, "confirm") == "Write the text of the decision."
    assert fresh(db, draft).status == DecisionStatus.DRAFT and count(db, Document) == 0


@pytest.mark.parametrize(
    ("lacking", "message"),
    [
        ({"title": ""}, "Give the decision a title."),
        ({"meeting": None}, "Choose the meeting at which the decision was taken."),
        ({"effective_on": date(2026, 3, 1)}, "A decision cannot take effect before the meeting that took it."),
    ],
)
def test_draft_lacking_something_is_not_published_and_the_page_says_what(
    client, db, school, make_draft, board_member, login_as, lacking, message
):
    draft = make_draft(**lacking)  # the meeting was on 2 March 2026
    login_as(board_member)

    page = client.get(manage_url(school, draft), headers=ENGLISH).text
    response = client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"}, headers=ENGLISH)

    assert f"<li>{message}</li>" in page
    assert response.status_code == 422
    assert field_error(response.text, "confirm") == message
    assert fresh(db, draft).status == DecisionStatus.DRAFT and count(db, Document) == 0


def test_draft_whose_earlier_decision_was_superseded_meanwhile_is_not_published(
    client, db, school, make_draft, make_published, board_member, login_as
):
    earlier = make_published(title="旧决定")
    draft = make_draft(replaces_id=earlier.id)
    make_published(title="另一项决定", replaces_id=earlier.id)  # someone else superseded it first
    login_as(board_member)

    response = client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"}, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, "confirm") == (
        "The earlier decision is no longer in force: another decision has already superseded or revoked it."
    )
    assert fresh(db, draft).status == DecisionStatus.DRAFT and count(db, Document) == 2


@pytest.mark.parametrize(
    ("charter_text", "effective_on", "message"),
    [
        ("", None, "This charter version has no text yet."),
        # The meeting's day, long before the day of publication.
        (
            "# 第一章 总则\n\n第一条 本校依法办学。",
            date(2026, 3, 2),
            "The charter version cannot take effect before the decision is published.",
        ),
    ],
    ids=["charter-without-text", "charter-in-force-before-publication"],
)
def test_draft_adopting_a_charter_version_that_cannot_be_adopted_is_not_published(
    client, db, school, make_draft, board_member, login_as, run_jobs, charter_text, effective_on, message
):
    version = charters.start_draft(None, school, from_template=False)
    charters.edit_draft(None, version, body=charter_text, change_note="首版")
    db.session.commit()
    draft = make_draft(charter_version_id=version.id, effective_on=effective_on)
    login_as(board_member)

    client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"}, headers=ENGLISH)
    run_jobs()  # the charter version refuses adoption inside the publishing transaction
    back = client.get(manage_url(school, draft, "/publishing"))
    response = client.get(manage_url(school, draft), headers=ENGLISH)

    assert location_path(back) == manage_url(school, draft)
    assert field_error(response.text, "confirm") == message
    assert fresh(db, draft).status == DecisionStatus.DRAFT and count(db, Document) == 0
    assert db.session.get(CharterVersion, version.id).status == CharterStatus.DRAFT


def test_published_decision_cannot_be_edited_published_again_or_deleted(
    client, db, school, make_published, board_member, login_as
):
    decision = make_published()
    login_as(board_member)

    changes = (
        ("", form(decision.meeting, title="改")),
        ("/publish", {"confirm": "y"}),
        ("/discard", {"confirm_delete": "y"}),
    )
    for suffix, data in changes:
        response = client.post(manage_url(school, decision, suffix), data=data, headers=ENGLISH)
        assert response.status_code == 409, suffix
        assert PUBLISHED_REFUSAL in response.text

    assert fresh(db, decision).title == "关于加强学校食堂管理的决定"
    assert count(db, Decision) == 1 and count(db, PublicationLogEntry) == 1


@pytest.mark.parametrize("suffix", ["", "/publish", "/discard"])
def test_change_to_a_published_decision_with_htmx_answers_409_with_the_notice_in_place(
    client, db, school, make_published, board_member, login_as, suffix
):
    decision = make_published()
    login_as(board_member)
    data = {"": form(decision.meeting, title="改"), "/publish": {"confirm": "y"}, "/discard": {"confirm_delete": "y"}}[
        suffix
    ]

    response = client.post(manage_url(school, decision, suffix), data=data, headers={**HTMX, **ENGLISH})

    assert response.status_code == 409  # swapped like 422 (base.html's htmx configuration), not a redirect
    assert "HX-Redirect" not in response.headers
    fragment = response.text
    assert 'id="decision-published-notice"' in fragment and "<html" not in fragment
    assert PUBLISHED_REFUSAL in fragment
    assert f'href="/decisions/{decision.id}"' in fragment
    assert fresh(db, decision).title == "关于加强学校食堂管理的决定"
    assert count(db, Decision) == 1 and count(db, PublicationLogEntry) == 1


def test_published_decision_refusal_without_htmx_is_the_whole_page_leading_to_the_decision(
    client, school, make_published, board_member, login_as
):
    decision = make_published()
    login_as(board_member)

    response = client.post(manage_url(school, decision, "/publish"), data={"confirm": "y"}, headers=ENGLISH)

    assert response.status_code == 409
    assert "<html" in response.text and "This decision is published</h1>" in response.text
    assert PUBLISHED_REFUSAL in response.text and f'href="/decisions/{decision.id}"' in response.text


def test_preview_of_a_draft_published_meanwhile_says_so_in_the_preview(
    client, db, school, make_published, board_member, login_as
):
    decision = make_published()  # by someone else, while the board member had the draft open
    login_as(board_member)

    response = client.get(manage_url(school, decision, "/preview"), headers={**HTMX, **ENGLISH})

    assert response.status_code == 409  # swapped into #decision-preview, where the button asked for it
    fragment = response.text
    assert "<html" not in fragment and "The preview is ready" not in fragment
    assert PUBLISHED_REFUSAL in fragment and f'href="/decisions/{decision.id}"' in fragment
    assert count(db, Document) == 1  # the published decision's own PDF, nothing more


def test_published_decision_edit_address_leads_to_its_public_page(
    client, school, make_published, board_member, login_as
):
    decision = make_published()
    login_as(board_member)

    response = client.get(manage_url(school, decision))

    assert response.status_code == 303 and location_path(response) == f"/decisions/{decision.id}"


def test_publish_meeting_a_full_disk_is_retried_by_the_queue_and_changes_nothing_meanwhile(
    app, client, db, school, make_draft, board_member, login_as, monkeypatch, run_jobs
):
    from portal.decisions import services, tasks

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services, "archive_pdf", disk_full)
    draft = make_draft()
    login_as(board_member)

    client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"}, headers=ENGLISH)
    with pytest.raises(OSError):  # a fault: the job raises, and the queue tries it again later
        run_jobs()

    decision = fresh(db, draft)
    assert decision.status == DecisionStatus.DRAFT and decision.number is None
    assert count(db, Document) == 0 and count(db, PublicationLogEntry) == 0
    assert count(db, AuditEvent, AuditEvent.action == "decision.publish") == 0
    still = client.get(manage_url(school, draft, "/publishing"), headers=ENGLISH)
    assert still.status_code == 200 and "the PDF is being made and signed" in still.text

    monkeypatch.undo()  # the disk has room again: the queue's retry publishes it
    with app.app_context():
        tasks.publish_requested_decision.call_local(decision.id, decision.publishing_key, board_member.id)
    assert fresh(db, draft).number_sequence == 1


def test_publish_failing_with_htmx_leads_back_to_the_draft_that_says_why(
    client, db, school, make_draft, board_member, login_as, monkeypatch, run_jobs
):
    from portal.decisions import services

    def no_key(*args, **kwargs):
        raise RuntimeError("the signing key cannot be read")  # not a fault of the disk or database

    monkeypatch.setattr(services, "archive_pdf", no_key)
    draft = make_draft()
    login_as(board_member)
    status_url = manage_url(school, draft, "/publishing")

    response = client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"}, headers={**HTMX, **ENGLISH})
    assert response.headers["HX-Redirect"] == status_url
    run_jobs()
    poll = client.get(status_url, headers={**HTMX, **ENGLISH})
    page = client.get(manage_url(school, draft), headers=ENGLISH)

    assert poll.status_code == 204 and poll.headers["HX-Redirect"] == manage_url(school, draft) + "#publish"
    assert "nothing was published" in field_error(page.text, "confirm")
    assert fresh(db, draft).status == DecisionStatus.DRAFT


# Which charter version a decision adopts


@pytest.fixture
def charter_history(db, school):
    """Version 1 adopted in 2021 and replaced by version 2 in 2024; version 3 a draft."""
    versions = [
        CharterVersion(
            school=school, number=1, body="# 章程\n\n第一条", status=CharterStatus.ADOPTED, adopted_on=date(2021, 9, 1)
        ),
        CharterVersion(
            school=school, number=2, body="# 章程\n\n第一条", status=CharterStatus.ADOPTED, adopted_on=date(2024, 9, 1)
        ),
        CharterVersion(school=school, number=3, body="# 章程\n\n第一条 修订", status=CharterStatus.DRAFT),
    ]
    db.session.add_all(versions)
    db.session.commit()
    return versions


REPLACED = "A newer version of the charter has been adopted since this one."


def test_the_form_offers_the_draft_and_the_newest_adopted_version_not_one_replaced_since(
    client, school, charter_history, board_member, login_as
):
    login_as(board_member)

    page = client.get(manage_url(school, suffix="/new"), headers=ENGLISH).text
    offered = re.findall(r'<option value="(\d+)"', page[page.index('id="charter_version_id"') :].split("</select>")[0])

    assert offered == [str(charter_history[2].id), str(charter_history[1].id)]


def test_a_decision_cannot_adopt_a_charter_version_replaced_since_and_keeps_what_was_typed(
    client, db, school, decision_meeting, charter_history, board_member, login_as
):
    login_as(board_member)

    response = client.post(
        manage_url(school, suffix="/new"),
        data=form(decision_meeting, title="关于通过章程第1版的决定", charter_version_id=str(charter_history[0].id)),
        headers=ENGLISH,
    )

    assert response.status_code == 422
    assert field_error(response.text, "charter_version_id") == "Choose one of this school's charter versions."
    assert field_value(response.text, "title") == "关于通过章程第1版的决定"
    assert count(db, Decision, Decision.school_id == school.id) == 0


def test_the_service_refuses_a_charter_version_replaced_since_whoever_asks(
    db, school, decision_meeting, charter_history, make_draft
):
    from portal.decisions import services
    from portal.decisions.models import DecisionRefusal
    from portal.domain import DomainError

    draft = make_draft()
    with pytest.raises(DomainError) as refused:
        services.update_draft(None, draft, {"charter_version_id": charter_history[0].id})

    assert refused.value.reason == DecisionRefusal.CHARTER_VERSION_REPLACED
    assert refused.value.field == "charter_version_id"
    services.update_draft(None, draft, {"charter_version_id": charter_history[1].id})  # the newest: fine
    assert draft.charter_version_id == charter_history[1].id


def test_a_draft_whose_charter_version_was_replaced_meanwhile_is_not_published(
    client, db, school, charter_history, make_draft, board_member, login_as
):
    draft = make_draft(charter_version_id=charter_history[1].id)  # the newest adopted, when saved
    newer = db.session.get(CharterVersion, charter_history[2].id)
    newer.status, newer.adopted_on = CharterStatus.ADOPTED, date(2026, 9, 1)  # adopted on the charter page
    db.session.commit()
    login_as(board_member)

    response = client.post(manage_url(school, draft, "/publish"), data={"confirm": "y"}, headers=ENGLISH)

    assert response.status_code == 422
    assert REPLACED in response.text
    assert fresh(db, draft).status == DecisionStatus.DRAFT


def test_a_charter_draft_that_a_decision_draft_adopts_is_not_deleted_from_under_it(
    client, db, school, make_draft, school_admin, login_as
):
    from portal.charters import services as charter_services

    charter_draft = charter_services.start_draft(None, school, from_template=False)
    charter_services.edit_draft(None, charter_draft, body="第一条 本校名称。", change_note="首部章程")
    db.session.commit()
    make_draft(charter_version_id=charter_draft.id)
    login_as(school_admin)

    response = client.post(
        f"/schools/{school.slug}/manage/charter/versions/{charter_draft.number}/discard",
        data={"confirm_delete": "y"},
        headers=ENGLISH,
    )

    assert response.status_code == 409
    assert "A draft decision names this version." in response.get_data(as_text=True)
    assert charter_services.draft_of(school) is not None
