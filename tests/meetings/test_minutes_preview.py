"""Writing draft minutes: the help on the few Markdown forms that matter, and a preview of the
minutes exactly as they will be published, as they are typed (htmx) or with the Preview button
(without JavaScript). A preview never saves anything; approved minutes have nothing to preview."""

import re

import pytest

from portal.meetings import services
from portal.meetings.models import MINUTES_MAX, Meeting
from tests.helpers.pages import ENGLISH, HTMX


def minutes_url(school, meeting, suffix=""):
    return f"/schools/{school.slug}/manage/meetings/{meeting.id}/minutes{suffix}"


def saved_minutes(db, meeting) -> str:
    db.session.remove()
    return db.session.get(Meeting, meeting.id).minutes


def test_the_minutes_are_previewed_as_they_will_be_published_while_typed(
    client, db, school, past_meeting, board_member, login_as
):
    login_as(board_member)

    response = client.post(
        minutes_url(school, past_meeting, "/preview"),
        data={"minutes": "## 二、膳食情况\n\n**通报**了食堂情况。"},
        headers={**HTMX, **ENGLISH},
    )

    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.startswith('<section id="minutes-preview"')
    assert "<h3>二、膳食情况</h3>" in fragment  # as on the public meeting page
    assert "<strong>通报</strong>" in fragment
    assert "Not saved yet." in fragment
    assert saved_minutes(db, past_meeting).startswith("## 一、审议工作计划")


def test_overlong_minutes_are_not_previewed(client, school, past_meeting, board_member, login_as):
    login_as(board_member)

    response = client.post(
        minutes_url(school, past_meeting, "/preview"),
        data={"minutes": "字" * (MINUTES_MAX + 1)},
        headers=ENGLISH | HTMX,
    )

    assert response.status_code == 422
    assert "The text is too long to preview." in response.get_data(as_text=True)


@pytest.mark.parametrize("address", ["", "/preview"])
def test_the_preview_button_without_javascript_keeps_the_minutes_typed_and_saves_nothing(
    client, db, school, past_meeting, board_member, login_as, address
):
    login_as(board_member)

    response = client.post(
        minutes_url(school, past_meeting, address),
        data={"minutes": "## 三、其他\n\n- 甲\n- 乙", "action": "preview"},
        headers=ENGLISH,
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This is a preview. Nothing has been saved yet." in page
    preview = re.search(r'<section id="minutes-preview".*?</section>', page, re.S).group(0)
    assert "<li>甲</li>" in preview
    assert "## 三、其他\n\n- 甲\n- 乙</textarea>" in page
    assert saved_minutes(db, past_meeting).startswith("## 一、审议工作计划")


def test_approved_minutes_have_nothing_to_preview(client, with_app, db, school, past_meeting, board_member, login_as):
    with with_app():  # approving renders and signs the minutes' PDF
        services.approve_minutes(None, past_meeting)
        db.session.commit()
    login_as(board_member)

    response = client.post(minutes_url(school, past_meeting, "/preview"), data={"minutes": "改动"}, headers=HTMX)

    assert response.status_code == 409
    assert 'role="alert"' in response.get_data(as_text=True)


def test_the_minutes_editor_explains_the_forms_of_the_text_and_follows_the_typing(
    client, school, past_meeting, board_member, login_as
):
    login_as(board_member)

    page = client.get(f"/schools/{school.slug}/manage/meetings/{past_meeting.id}", headers=ENGLISH).get_data(
        as_text=True
    )

    help_text = re.search(r'<details class="markdown-help" id="minutes-help">.*?</details>', page, re.S).group(0)
    assert "## 一、会议议题" in help_text and "**重要内容**" in help_text
    assert "第十六条之一" not in help_text  # minutes have no articles
    textarea = re.search(r'<textarea[^>]*\bid="minutes"[^>]*>', page).group(0)
    assert f'hx-post="{minutes_url(school, past_meeting, "/preview")}"' in textarea
    assert "The saved draft, as it will appear" in page
