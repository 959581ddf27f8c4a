"""A school administrator drafts an amendment of the charter, previews it and adopts it; adopted
versions never change; every change is audited; other schools' administrators find nothing."""

import re
from datetime import date, timedelta

import pytest
from flask import url_for
from sqlalchemy import select, update

from portal import clock
from portal.audit import AuditEvent
from portal.charters import services
from portal.charters.models import (
    CHARTER_BODY_MAX,
    CHARTER_NOTE_MAX,
    CharterRefusal,
    CharterStatus,
    CharterVersion,
)
from portal.domain import DomainError
from tests.helpers.charters import VERSION_2
from tests.helpers.pages import CJK, ENGLISH, HTMX, field_error, field_value, location_path


def manage_url(school, *parts):
    return "/".join([f"/schools/{school.slug}/manage/charter", *map(str, parts)])


def fresh(db, version) -> CharterVersion:
    db.session.expire_all()
    return db.session.get(CharterVersion, version.id)


def events(db, action, version=None):
    """The audit events of `action`, for one version if given."""
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if version is not None:
        query = query.where(AuditEvent.object_type == "CharterVersion", AuditEvent.object_id == version.id)
    return db.session.scalars(query).all()


def adoption(**overrides):
    return {"adopted_on": "2026-03-01", "effective_on": "2026-04-01", "confirm": "y", **overrides}


# --- Starting a draft ----------------------------------------------------------------------------


def test_school_without_a_charter_is_offered_a_first_draft(client, login_as, school_admin, school):
    login_as(school_admin)

    page = client.get(manage_url(school), headers=ENGLISH).get_data(as_text=True)

    assert "No version of the charter has been adopted yet." in page
    assert 'name="starting_point" type="radio" value="template"' in page
    assert 'name="starting_point" type="radio" value="empty"' in page
    assert "Start the first draft" in page


def test_first_draft_from_the_template_names_the_school(client, db, login_as, school_admin, school):
    login_as(school_admin)

    response = client.post(manage_url(school, "drafts"), data={"starting_point": "template"})

    assert response.status_code == 303
    assert location_path(response) == manage_url(school, "versions", 1, "edit")
    draft = services.draft_of(school)
    assert draft.number == 1 and draft.status == CharterStatus.DRAFT and draft.based_on_number is None
    assert "**第一条**" in draft.body and school.name_zh in draft.body
    (event,) = events(db, "charter.draft_start")
    assert (event.actor_id, event.school_id, event.object_id) == (school_admin.id, school.id, draft.id)


def test_first_draft_can_start_empty(client, login_as, school_admin, school):
    login_as(school_admin)

    client.post(manage_url(school, "drafts"), data={"starting_point": "empty"})

    assert services.draft_of(school).body == ""


def test_new_draft_starts_as_a_copy_of_the_charter_in_force(client, login_as, school_admin, school, charter):
    login_as(school_admin)

    response = client.post(manage_url(school, "drafts"))

    assert location_path(response) == manage_url(school, "versions", 3, "edit")
    draft = services.draft_of(school)
    assert (draft.number, draft.based_on_number, draft.body) == (3, 2, charter[1].body)


def test_only_one_draft_at_a_time(client, db, login_as, school_admin, school, draft):
    login_as(school_admin)

    response = client.post(manage_url(school, "drafts"), headers=ENGLISH)

    assert response.status_code == 409
    assert "A draft is already being prepared." in response.get_data(as_text=True)
    assert [v.number for v in services.versions_of(school)] == [3, 2, 1]
    assert len(events(db, "charter.draft_start")) == 3  # versions 1, 2 and 3; none for the refusal


def test_only_one_draft_at_a_time_with_htmx_answers_with_the_reason_alone(
    client, db, login_as, school_admin, school, draft
):
    login_as(school_admin)

    response = client.post(manage_url(school, "drafts"), headers={**HTMX, **ENGLISH})

    assert response.status_code == 409
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and "<h1" not in fragment
    assert fragment.lstrip().startswith('<div class="charter-notice charter-notice-refused" role="alert"')
    assert "A draft is already being prepared." in fragment
    assert [v.number for v in services.versions_of(school)] == [3, 2, 1]


def test_management_page_shows_the_draft_and_what_it_changes(client, db, login_as, school_admin, school, draft):
    services.edit_draft(school_admin, draft, body=VERSION_2 + "\n**第七条** 新条款。", change_note="增加第七条")
    db.session.commit()
    login_as(school_admin)

    page = client.get(manage_url(school), headers=ENGLISH).get_data(as_text=True)

    assert "Draft version 3" in page and "Based on version 2." in page and "增加第七条" in page
    assert "0 articles changed, 1 added, 0 removed." in page
    assert f'href="{manage_url(school, "versions", 3, "edit")}"' in page
    assert f'action="{manage_url(school, "versions", 3, "adopt")}"' in page


# --- Editing and previewing ------------------------------------------------------------------------


def test_editing_the_draft_saves_it_and_audits_it(client, db, login_as, school_admin, school, draft):
    login_as(school_admin)
    assert "学校设立家长委员会。" in client.get(manage_url(school, "versions", 3, "edit")).get_data(as_text=True)
    new_body = VERSION_2.replace("每学年至少召开两次", "每学年至少召开三次").replace("\n", "\r\n")

    response = client.post(
        manage_url(school, "versions", 3, "edit"),
        data={"body": new_body, "change_note": " 修改第四条 ", "action": "save"},
    )

    assert response.status_code == 303
    assert location_path(response) == manage_url(
        school,
    )
    saved = fresh(db, draft)
    assert "每学年至少召开三次" in saved.body
    assert "\r" not in saved.body  # line breaks from the browser are stored one way
    assert saved.change_note == "修改第四条"
    (event,) = events(db, "charter.draft_edit", draft)
    assert (event.actor_id, event.school_id) == (school_admin.id, school.id)


def test_saving_an_unchanged_draft_changes_nothing(client, db, login_as, school_admin, school, draft):
    login_as(school_admin)

    response = client.post(
        manage_url(school, "versions", 3, "edit"),
        data={"body": draft.body, "change_note": "", "action": "save"},
        headers=ENGLISH,
        follow_redirects=True,
    )

    assert "Nothing was changed." in response.get_data(as_text=True)
    assert events(db, "charter.draft_edit", draft) == []


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"body": "", "change_note": "typed note"}, "body", "Please enter the text of the charter."),
        ({"body": "   \n  ", "change_note": "typed note"}, "body", "Please enter the text of the charter."),
        (
            {"body": "第一条 " + "字" * CHARTER_BODY_MAX, "change_note": "typed note"},
            "body",
            f"This has {CHARTER_BODY_MAX + 4:,} characters; it can have at most {CHARTER_BODY_MAX:,}.",
        ),
        (
            {"body": "第一条 甲。", "change_note": "长" * (CHARTER_NOTE_MAX + 1)},
            "change_note",
            f"This has {CHARTER_NOTE_MAX + 1:,} characters; it can have at most {CHARTER_NOTE_MAX:,}.",
        ),
        (
            {"body": "第一条 甲\x00。", "change_note": "typed note"},
            "body",
            "This contains characters that are not allowed.",
        ),
    ],
    ids=["empty", "blank", "too-long", "note-too-long", "control-character"],
)
def test_bad_draft_is_explained_beside_the_field_and_not_saved(
    client, db, login_as, school_admin, school, draft, data, field, message
):
    login_as(school_admin)

    response = client.post(manage_url(school, "versions", 3, "edit"), data={**data, "action": "save"}, headers=ENGLISH)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, field) == message
    assert 'class="error-summary" role="alert"' in page
    if len(data["change_note"]) < 100:
        assert data["change_note"] in page  # what was typed is kept
    assert fresh(db, draft).body == VERSION_2.strip()
    assert events(db, "charter.draft_edit", draft) == []


def test_preview_without_javascript_shows_the_text_and_saves_nothing(client, db, login_as, school_admin, school, draft):
    login_as(school_admin)
    typed = "# 第一章 总则\n\n**第一条** 预览中的文字。\n\n第二条 第二条的文字。"

    response = client.post(
        manage_url(school, "versions", 3, "edit"),
        data={"body": typed, "change_note": "草稿说明", "action": "preview"},
        headers=ENGLISH,
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "This is a preview. Nothing has been saved yet." in page
    preview = page[page.index('id="charter-preview"') :]
    assert '<a href="#article-2">第二条</a>' in preview
    assert '<div class="charter-article" id="article-1"><p><strong>第一条</strong>\u3000预览中的文字。</p>' in preview
    assert "预览中的文字" in page[: page.index('id="charter-preview"')]  # the textarea keeps what was typed
    assert "草稿说明" in page
    assert fresh(db, draft).body == VERSION_2.strip()
    assert events(db, "charter.draft_edit", draft) == []


def test_preview_with_htmx_answers_with_the_preview_panel_alone(client, db, login_as, school_admin, school, draft):
    login_as(school_admin)

    response = client.post(
        manage_url(school, "versions", 3, "preview"),
        data={"body": "# 第一章 总则\n\n第一条 甲。", "change_note": ""},
        headers={**HTMX, **ENGLISH},
    )

    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert "<html" not in fragment and "<h1" not in fragment
    assert fragment.lstrip().startswith('<section id="charter-preview"')
    assert '<a href="#chapter-1">' in fragment and 'id="article-1"' in fragment
    assert 'id="charter-preview-status"' in fragment and 'hx-swap-oob="innerHTML"' in fragment
    assert fresh(db, draft).body == VERSION_2.strip()


def test_preview_endpoint_without_htmx_shows_the_whole_edit_page(client, login_as, school_admin, school, draft):
    login_as(school_admin)

    response = client.post(
        manage_url(school, "versions", 3, "preview"), data={"body": "第一条 甲。", "change_note": ""}, headers=ENGLISH
    )

    assert response.status_code == 200
    assert "<h1>Edit draft version 3</h1>" in response.get_data(as_text=True)


def test_preview_of_a_text_that_is_too_long_says_so(client, login_as, school_admin, school, draft):
    login_as(school_admin)

    response = client.post(
        manage_url(school, "versions", 3, "preview"),
        data={"body": "字" * (CHARTER_BODY_MAX + 1)},
        headers={**HTMX, **ENGLISH},
    )

    assert response.status_code == 422
    assert "The text is too long to preview." in response.get_data(as_text=True)


def test_edit_page_has_a_preview_button_that_works_with_and_without_htmx(client, login_as, school_admin, school, draft):
    login_as(school_admin)

    page = client.get(manage_url(school, "versions", 3, "edit")).get_data(as_text=True)

    assert f'action="{manage_url(school, "versions", 3, "edit")}"' in page
    assert 'name="action" value="preview"' in page
    assert f'hx-post="{manage_url(school, "versions", 3, "preview")}"' in page
    assert 'hx-target="#charter-preview"' in page


def test_the_preview_follows_the_typing_and_the_editor_explains_the_forms_of_the_text(
    client, login_as, school_admin, school, draft
):
    login_as(school_admin)

    page = client.get(manage_url(school, "versions", 3, "edit"), headers=ENGLISH).get_data(as_text=True)

    body = re.search(r'<textarea[^>]*\bid="body"[^>]*>', page).group(0)
    assert f'hx-post="{manage_url(school, "versions", 3, "preview")}"' in body
    assert 'hx-trigger="input changed delay:1s"' in body and 'hx-sync="this:replace"' in body
    help_text = re.search(r'<details class="markdown-help" id="body-help">.*?</details>', page, re.S).group(0)
    for form in ("# 第一章　总则", "## 第一节　校长", "**第一条**", "**第十六条之一**", "- 第一项", "**重要内容**"):
        assert form in help_text


def test_the_preview_shows_inserted_articles_and_sections_in_the_contents(
    client, login_as, school_admin, school, draft
):
    login_as(school_admin)

    fragment = client.post(
        manage_url(school, "versions", 3, "preview"),
        data={"body": "# 第二章 管理\n\n## 第一节 校长\n\n第十六条 甲。\n\n**第十六条之一** 乙。", "change_note": ""},
        headers={**HTMX, **ENGLISH},
    ).get_data(as_text=True)

    assert '<a href="#article-16-sub1">第十六条之一</a>' in fragment and 'id="article-16-sub1"' in fragment
    assert '<a href="#chapter-2-section-1">第一节\u3000校长</a>' in fragment and 'id="chapter-2-section-1"' in fragment
    assert "2 articles." in fragment


def test_the_preview_that_follows_the_typing_is_not_announced_at_every_pause(
    client, login_as, school_admin, school, draft
):
    login_as(school_admin)
    address, data = manage_url(school, "versions", 3, "preview"), {"body": "第一条 甲。", "change_note": ""}

    typing = client.post(address, data=data, headers={**HTMX, **ENGLISH, "HX-Trigger": "body"}).get_data(as_text=True)
    button = client.post(address, data=data, headers={**HTMX, **ENGLISH}).get_data(as_text=True)

    assert "The preview is updated." not in typing
    assert "The preview is updated." in button


# --- Adopting ----------------------------------------------------------------------------------


def test_the_adopt_button_says_it_is_working_while_the_pdf_is_made(client, login_as, school_admin, school, draft):
    login_as(school_admin)

    page = client.get(manage_url(school), headers=ENGLISH).get_data(as_text=True)

    # Adopting makes and signs the version's PDF: while it runs, the button is disabled (data-working).
    assert 'aria-labelledby="adopt-heading" data-working' in page
    assert "Adopting: the PDF of the charter is being made and signed…" in page


def test_adopting_the_draft_makes_it_the_charter_in_force(client, db, login_as, school_admin, school, draft):
    login_as(school_admin)

    response = client.post(manage_url(school, "versions", 3, "adopt"), data=adoption(), headers=ENGLISH)

    assert response.status_code == 303
    adopted = fresh(db, draft)
    assert adopted.status == CharterStatus.ADOPTED
    assert (adopted.adopted_on, adopted.effective_on, adopted.adopted_by_id) == (
        date(2026, 3, 1),
        date(2026, 4, 1),
        school_admin.id,
    )
    assert services.latest_adopted(school).number == 3
    (event,) = [e for e in events(db, "charter.adopt") if e.object_id == draft.id]
    assert (event.actor_id, event.school_id) == (school_admin.id, school.id)
    assert event.data["adopted_on"] == "2026-03-01" and event.data["effective_on"] == "2026-04-01"
    page = client.get(location_path(response), headers=ENGLISH).get_data(as_text=True)
    assert "Version 3 is adopted and is now the school&#39;s charter." in page


def test_a_charter_adopted_to_come_into_force_later_is_not_said_to_be_in_force(
    client, db, login_as, school_admin, school, draft
):
    login_as(school_admin)
    later = clock.today() + timedelta(days=20)

    response = client.post(
        manage_url(school, "versions", 3, "adopt"),
        data=adoption(adopted_on=clock.today().isoformat(), effective_on=later.isoformat()),
        headers=ENGLISH,
    )

    assert response.status_code == 303
    page = client.get(location_path(response), headers=ENGLISH).get_data(as_text=True)
    assert "Version 3 is adopted. It becomes the school&#39;s charter on " in page
    assert "until then the version in force stays." in page
    assert "is now the school&#39;s charter" not in page


def test_a_charter_may_come_into_force_on_the_day_it_is_adopted(client, db, login_as, school_admin, school, draft):
    login_as(school_admin)

    response = client.post(manage_url(school, "versions", 3, "adopt"), data=adoption(effective_on="2026-03-01"))

    assert response.status_code == 303


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"adopted_on": ""}, "adopted_on", "Please enter the date this version was adopted."),
        ({"effective_on": ""}, "effective_on", "Please enter the date this version comes into force."),
        ({"adopted_on": "   "}, "adopted_on", "Please enter the date this version was adopted."),
        ({"adopted_on": "2026-13-45"}, "adopted_on", "Please enter a date as year-month-day, such as 2026-03-01."),
        ({"adopted_on": "yesterday"}, "adopted_on", "Please enter a date as year-month-day, such as 2026-03-01."),
        ({"adopted_on": "1900-01-01"}, "adopted_on", "Please enter a date between 1949-10-01 and 2100-12-31."),
        ({"effective_on": "2101-01-01"}, "effective_on", "Please enter a date between 1949-10-01 and 2100-12-31."),
        (
            {"effective_on": "2026-02-28"},
            "effective_on",
            "A charter cannot come into force before the day it is adopted.",
        ),
        ({"confirm": ""}, "confirm", "Please confirm that this text was adopted as shown."),
        (
            {"adopted_on": "2099-12-05", "effective_on": "2099-12-06"},
            "adopted_on",
            "The day of adoption cannot be after today. Adopt the version once the body has adopted it; "
            "the day it comes into force may be later.",
        ),
        (
            {"adopted_on": "2025-01-01", "effective_on": "2025-02-01"},
            "adopted_on",
            "Version 2 was adopted on Mar 28, 2025. A later version cannot be adopted before that day.",
        ),
    ],
    ids=[
        "no-adoption-date",
        "no-effective-date",
        "blank-adoption-date",
        "impossible-date",
        "not-a-date",
        "implausible-date",
        "effective-too-late",
        "effective-before-adoption",
        "not-confirmed",
        "adopted-after-today",
        "before-previous-version",
    ],
)
def test_bad_adoption_is_explained_beside_the_field_and_nothing_is_adopted(
    client, db, login_as, school_admin, school, draft, overrides, field, message
):
    login_as(school_admin)
    data = adoption(**overrides)

    response = client.post(manage_url(school, "versions", 3, "adopt"), data=data, headers=ENGLISH)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, field) == message
    for name in ("adopted_on", "effective_on"):
        assert field_value(page, name) == data[name]  # what was typed is kept
    assert fresh(db, draft).status == CharterStatus.DRAFT
    assert services.latest_adopted(school).number == 2
    assert [e.object_id for e in events(db, "charter.adopt")] == [v.id for v in services.adopted_versions(school)][::-1]


def test_an_empty_draft_cannot_be_adopted(client, db, login_as, school_admin, school):
    login_as(school_admin)
    client.post(manage_url(school, "drafts"), data={"starting_point": "empty"})

    response = client.post(manage_url(school, "versions", 1, "adopt"), data=adoption(), headers=ENGLISH)

    assert response.status_code == 422
    assert "The draft has no text yet." in response.get_data(as_text=True)
    assert services.latest_adopted(school) is None


# --- Adopted versions never change ----------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, data",
    [
        ("GET", "edit", None),
        ("POST", "edit", {"body": "第一条 改写。", "change_note": "x", "action": "save"}),
        ("POST", "edit", {"body": "第一条 改写。", "action": "preview"}),
        ("POST", "preview", {"body": "第一条 改写。"}),
        ("POST", "adopt", adoption()),
    ],
    ids=["open-editor", "save", "preview-button", "preview", "adopt-again"],
)
def test_an_adopted_version_cannot_be_changed(client, db, login_as, school_admin, school, charter, method, path, data):
    login_as(school_admin)
    before = fresh(db, charter[1])
    body, adopted_on = before.body, before.adopted_on

    response = client.open(manage_url(school, "versions", 2, path), method=method, data=data, headers=ENGLISH)

    assert response.status_code == 409
    assert "Version 2 is adopted and can no longer be changed." in response.get_data(as_text=True)
    after = fresh(db, charter[1])
    assert (after.body, after.adopted_on, after.status) == (body, adopted_on, CharterStatus.ADOPTED)
    assert len(events(db, "charter.draft_edit")) == 2 and len(events(db, "charter.adopt")) == 2  # those of the fixture


def test_adopting_twice_is_a_conflict_the_second_time(client, db, login_as, school_admin, school, draft):
    login_as(school_admin)

    first = client.post(manage_url(school, "versions", 3, "adopt"), data=adoption())
    second = client.post(
        manage_url(school, "versions", 3, "adopt"), data=adoption(adopted_on="2026-05-01", effective_on="2026-05-01")
    )

    assert (first.status_code, second.status_code) == (303, 409)
    assert fresh(db, draft).adopted_on == date(2026, 3, 1)


def test_services_and_model_refuse_to_change_an_adopted_version(db, school, charter):
    adopted = charter[0]

    with pytest.raises(DomainError, match="charter_adopted") as refused:
        services.edit_draft(None, adopted, body="改写", change_note="")
    assert refused.value.reason == CharterRefusal.CHARTER_ADOPTED
    with pytest.raises(DomainError, match="charter_adopted") as refused:
        services.adopt_version(None, adopted, adopted_on=date(2026, 1, 1), effective_on=date(2026, 1, 1))
    assert refused.value.reason == CharterRefusal.CHARTER_ADOPTED
    with pytest.raises(DomainError, match="charter_adopted") as refused:
        adopted.edit("改写", "")
    assert refused.value.reason == CharterRefusal.CHARTER_ADOPTED


def test_htmx_preview_of_an_adopted_version_is_refused_in_the_preview_panel(
    client, login_as, school_admin, school, charter
):
    login_as(school_admin)

    response = client.post(
        manage_url(school, "versions", 1, "preview"), data={"body": "x"}, headers={**HTMX, **ENGLISH}
    )

    assert response.status_code == 409
    fragment = response.get_data(as_text=True)
    # The panel the preview button targets (#charter-preview, swapped whole), with the reason in it.
    assert "<html" not in fragment and "<h1" not in fragment
    assert fragment.lstrip().startswith('<section id="charter-preview"')
    notice = fragment[fragment.index('role="alert"') :]
    assert "Version 1 is adopted and can no longer be changed." in notice
    assert "<strong>第一条</strong>" not in fragment  # nothing of the typed text is previewed


def adopt_meanwhile(db, monkeypatch, version):
    """Someone else adopts `version` after the page found it a draft, before the change is saved
    (the service reads it again, locked, and then sees it adopted)."""
    lock = services._lock

    def adopted_first(locked):
        db.session.execute(
            update(CharterVersion)
            .where(CharterVersion.id == version.id)
            .values(status=CharterStatus.ADOPTED, adopted_on=date(2026, 2, 1), effective_on=date(2026, 2, 1))
        )
        lock(locked)

    monkeypatch.setattr(services, "_lock", adopted_first)


@pytest.mark.parametrize(
    "path, data",
    [("edit", {"body": "第一条 改写。", "change_note": "x", "action": "save"}), ("adopt", adoption())],
    ids=["save", "adopt"],
)
def test_a_draft_adopted_meanwhile_is_not_changed_and_the_reason_is_shown(
    client, db, login_as, school_admin, school, draft, monkeypatch, path, data
):
    login_as(school_admin)
    adopt_meanwhile(db, monkeypatch, draft)

    response = client.post(manage_url(school, "versions", 3, path), data=data, headers=ENGLISH)

    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "<h1>Manage the charter</h1>" in page
    assert "Version 3 is adopted and can no longer be changed." in page[page.index('id="charter-notice"') :]
    assert fresh(db, draft).body == VERSION_2.strip()
    assert events(db, "charter.draft_edit", draft) == [] and events(db, "charter.adopt", draft) == []


def test_a_version_adopted_today_may_come_into_force_later_and_tomorrow_is_refused(db, with_app, school, draft):
    from datetime import timedelta

    from portal import clock

    with pytest.raises(DomainError) as refused:
        services.adopt_version(
            None, draft, adopted_on=clock.today() + timedelta(days=1), effective_on=clock.today() + timedelta(days=30)
        )
    assert refused.value.reason == CharterRefusal.ADOPTED_IN_FUTURE
    assert fresh(db, draft).status == CharterStatus.DRAFT

    with with_app():  # adopting renders and signs the PDF
        draft = fresh(db, draft)
        services.adopt_version(None, draft, adopted_on=clock.today(), effective_on=clock.today() + timedelta(days=30))
    assert draft.status == CharterStatus.ADOPTED


def test_service_refuses_a_charter_in_force_before_it_is_adopted(db, school, draft):
    with pytest.raises(DomainError) as refused:
        services.adopt_version(None, draft, adopted_on=date(2026, 3, 1), effective_on=date(2026, 2, 28))

    assert refused.value.reason == CharterRefusal.EFFECTIVE_BEFORE_ADOPTION
    assert refused.value.field == "effective_on"
    assert str(refused.value.message) == "A charter cannot come into force before the day it is adopted."
    assert fresh(db, draft).status == CharterStatus.DRAFT


@pytest.mark.parametrize("reason", list(CharterRefusal), ids=str)
def test_every_refusal_tells_people_why_in_english_and_in_chinese(app, db, compiled_catalogues, reason):
    words = {}
    for language in ("en", "zh"):
        with app.test_request_context(headers={"Accept-Language": language}):
            words[language] = str(reason.message)

    assert words["en"].strip() and words["zh"].strip()
    assert CJK.search(words["zh"]) and not CJK.search(words["en"])


# --- Who may manage the charter -----------------------------------------------------------------------


def charter_management_urls(app, school, number):
    """Every management address of the charter, with the method it answers."""
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("charters.") and "/manage/" in rule.rule:
            with app.test_request_context():
                url = url_for(
                    rule.endpoint, **{name: {"slug": school.slug, "n": number}[name] for name in rule.arguments}
                )
            urls += [(method, url) for method in sorted(rule.methods & {"GET", "POST"})]
    return urls


def test_school_admin_of_another_school_finds_none_of_its_charter_management(
    app, client, make_user, login_as, school, other_school, draft
):
    login_as(make_user(role="school_admin", scope=other_school))
    urls = charter_management_urls(app, school, 3)
    assert len(urls) == 7  # manage, start, edit (GET and POST), preview, adopt, discard

    for method, url in urls:
        response = client.open(url, method=method, data=adoption(body="第一条 改写。"))
        assert response.status_code == 404, f"{method} {url}"
    assert fresh(client.application.extensions["sqlalchemy"], draft).status == CharterStatus.DRAFT


@pytest.mark.parametrize("role", ["board_member", "parent"])
def test_other_people_of_the_school_are_refused(client, make_user, login_as, school, draft, role):
    login_as(make_user(role=role, scope=school))

    assert client.get(manage_url(school)).status_code == 403
    assert client.post(manage_url(school, "versions", 3, "adopt"), data=adoption()).status_code == 403


def test_management_of_a_version_that_does_not_exist_is_not_found(client, login_as, school_admin, school, charter):
    login_as(school_admin)

    assert client.get(manage_url(school, "versions", 9, "edit")).status_code == 404
    assert client.post(manage_url(school, "versions", 9, "adopt"), data=adoption()).status_code == 404


# --- Deleting a draft --------------------------------------------------------------------------


def test_a_draft_is_deleted_once_confirmed_and_a_new_one_can_be_started(
    client, db, login_as, school_admin, school, draft
):
    login_as(school_admin)

    unconfirmed = client.post(manage_url(school, "versions", 3, "discard"), headers=ENGLISH)
    assert unconfirmed.status_code == 422
    assert field_error(unconfirmed.text, "confirm_delete") == "Tick the box to confirm before deleting the draft."
    assert services.draft_of(school) is not None

    response = client.post(manage_url(school, "versions", 3, "discard"), data={"confirm_delete": "y"}, headers=ENGLISH)

    assert response.status_code == 303 and location_path(response) == manage_url(school)
    assert services.draft_of(school) is None
    (event,) = events(db, "charter.discard")
    assert (event.actor_id, event.school_id, event.data["number"]) == (school_admin.id, school.id, 3)
    page = client.get(manage_url(school), headers=ENGLISH).text
    assert "Draft version 3 is deleted." in page and "Start a new draft" in page


def test_an_adopted_version_is_never_deleted(client, db, login_as, school_admin, school, draft):
    login_as(school_admin)

    response = client.post(manage_url(school, "versions", 2, "discard"), data={"confirm_delete": "y"})

    assert response.status_code == 409
    assert services.get_version(school, 2).is_adopted
    assert events(db, "charter.discard") == []
