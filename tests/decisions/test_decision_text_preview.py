"""Writing a decision's text: a short help on the few Markdown forms that matter beside the
field, and a preview of the text exactly as it will be published, as it is typed (htmx) or with
the Preview button (without JavaScript). A preview never saves anything."""

import re

from sqlalchemy import func, select

from portal.decisions.models import DECISION_BODY_MAX, Decision
from tests.helpers.pages import ENGLISH, HTMX, field_value


def manage_url(school, decision=None, suffix=""):
    base = f"/schools/{school.slug}/manage/decisions"
    return (base if decision is None else f"{base}/{decision.id}") + suffix


def typed(meeting, **changes):
    data = {
        "title": "关于调整课后服务时间的决定",
        "body": "## 一、调整事项\n\n**第一条** 课后服务结束时间调整为17:30。\n\n- 低年级\n- 高年级",
        "meeting_id": str(meeting.id),
        "votes_for": "3",
        "votes_against": "0",
        "votes_abstain": "0",
        "effective_on": "",
        "replaces_id": "",
        "replaces_how": "supersedes",
        "charter_version_id": "",
        "action": "preview",
    }
    data.update(changes)
    return data


def decisions(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Decision))


def panel(page: str) -> str:
    return re.search(r'<section id="decision-text-preview".*?</section>', page, re.S).group(0)


def test_the_text_is_previewed_as_it_will_be_published_while_it_is_typed(client, db, school, board_member, login_as):
    login_as(board_member)

    response = client.post(
        manage_url(school, suffix="/text-preview"),
        data={"body": "**第一条** 课后服务结束时间调整为17:30。\n\n- 低年级\n- 高年级"},
        headers={**HTMX, **ENGLISH},
    )

    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.startswith('<section id="decision-text-preview"')
    assert "<strong>第一条</strong>" in fragment
    assert "<li>低年级</li>" in fragment
    assert "**" not in fragment
    assert "Not saved yet." in fragment
    assert decisions(db) == 0


def test_markup_typed_into_the_text_is_shown_inert_in_the_preview(client, school, board_member, login_as):
    login_as(board_member)

    fragment = client.post(
        manage_url(school, suffix="/text-preview"),
        data={"body": '<script>alert(1)</script> [链接](javascript:alert(1)) <b hx-get="/x">粗</b>'},
        headers=HTMX,
    ).get_data(as_text=True)

    assert "<script>" not in fragment and "<b hx-get" not in fragment
    assert 'href="javascript:' not in fragment


def test_a_text_too_long_to_publish_is_not_previewed(client, school, board_member, login_as):
    login_as(board_member)

    response = client.post(
        manage_url(school, suffix="/text-preview"),
        data={"body": "字" * (DECISION_BODY_MAX + 1)},
        headers=ENGLISH | HTMX,
    )

    assert response.status_code == 422
    assert "The text is too long to preview." in response.get_data(as_text=True)


def test_without_htmx_the_preview_address_leads_back_to_the_drafts(client, school, board_member, login_as):
    login_as(board_member)

    response = client.post(manage_url(school, suffix="/text-preview"), data={"body": "正文"})

    assert response.status_code == 303


def test_the_preview_button_on_a_new_draft_keeps_every_field_and_saves_nothing(
    client, db, school, decision_meeting, board_member, login_as
):
    login_as(board_member)

    response = client.post(manage_url(school, suffix="/new"), data=typed(decision_meeting, title=""), headers=ENGLISH)

    assert response.status_code == 200  # a preview asks for nothing but the text
    page = response.get_data(as_text=True)
    assert "This is a preview. Nothing has been saved yet." in page
    assert "<strong>第一条</strong>" in panel(page)
    assert "**第一条** 课后服务结束时间调整为17:30。" in page  # the text area keeps what was typed
    assert field_value(page, "votes_for") == "3"
    assert "Please enter the decision" not in page
    assert decisions(db) == 0


def test_the_preview_button_on_a_saved_draft_leaves_the_draft_as_it_was(
    client, db, school, make_draft, board_member, login_as
):
    draft = make_draft(title="原标题", body="原来的正文。")
    login_as(board_member)

    response = client.post(
        manage_url(school, draft), data=typed(draft.meeting, title="新标题", body="**新的**正文。"), headers=ENGLISH
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_value(page, "title") == "新标题"
    assert "<strong>新的</strong>正文。" in panel(page)
    db.session.remove()
    kept = db.session.get(Decision, draft.id)
    assert (kept.title, kept.body) == ("原标题", "原来的正文。")


def test_the_preview_of_an_overlong_text_says_why_beside_the_field(
    client, db, school, decision_meeting, board_member, login_as
):
    login_as(board_member)

    response = client.post(
        manage_url(school, suffix="/new"),
        data=typed(decision_meeting, body="字" * (DECISION_BODY_MAX + 1)),
        headers=ENGLISH,
    )

    assert response.status_code == 422
    assert 'id="body-error"' in response.get_data(as_text=True)
    assert decisions(db) == 0


def test_a_saved_draft_shows_its_text_as_it_will_be_published(client, school, make_draft, board_member, login_as):
    draft = make_draft(body="**第一条之一** 新增条款。")
    login_as(board_member)

    page = client.get(manage_url(school, draft), headers=ENGLISH).get_data(as_text=True)

    assert "The saved text, as it will be published." in panel(page)
    assert "<strong>第一条之一</strong>" in panel(page)


def test_the_editor_explains_the_forms_of_the_text_and_follows_the_typing(client, school, board_member, login_as):
    login_as(board_member)

    page = client.get(manage_url(school, suffix="/new"), headers=ENGLISH).get_data(as_text=True)

    help_text = re.search(r'<details class="markdown-help" id="body-help">.*?</details>', page, re.S).group(0)
    assert "How to format the text" in help_text
    assert "**第十六条之一**" in help_text and "- 第一项" in help_text
    body = re.search(r"<textarea[^>]*\bid=\"body\"[^>]*>", page).group(0)
    assert f'hx-post="/schools/{school.slug}/manage/decisions/text-preview"' in body
    assert 'hx-trigger="input changed delay:1s"' in body
    assert 'name="action" value="preview"' in page  # the button that works without JavaScript
