"""A school's admins draft a consultation — title, summary, the proposal, who may respond, how
responses are moderated, when it opens and closes (Beijing time) — and change it until they
submit it. A district's commission admins do the same for district-wide policy."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.consultations.models import Audience, Consultation, ConsultationStatus, ModerationMode, Phase
from tests.helpers.pages import ENGLISH, HTMX, field_error, field_value, forms_on, location_path


def new_url(school):
    return f"/schools/{school.slug}/manage/consultations/new"


def edit_url(consultation, suffix=""):
    return f"/manage/consultations/{consultation.id}{suffix}"


def form(**changes):
    data = {
        "title": "关于调整课后服务时间的意见征集",
        "summary": "学校拟将课后服务结束时间调整为17:30。",
        "proposal": "## 提案\n\n拟将课后服务结束时间由17:00调整为17:30。",
        "audience": "parents",
        "moderation": "pre",
        "opens_on": "2030-03-02",
        "opens_time": "08:00",
        "closes_on": "2030-03-30",
        "closes_time": "18:00",
        "action": "save",
    }
    data.update(changes)
    return data


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def only_consultation(db):
    return db.session.scalar(select(Consultation))


# A new draft


def test_school_admin_drafts_a_consultation_and_is_taken_to_it(client, db, school, school_admin, login_as):
    login_as(school_admin)

    response = client.post(new_url(school), data=form())

    consultation = only_consultation(db)
    assert response.status_code == 303
    assert location_path(response) == edit_url(consultation)
    assert consultation.school_id == school.id and consultation.status == ConsultationStatus.DRAFT
    assert consultation.audience == Audience.PARENTS and consultation.moderation == ModerationMode.PRE
    assert consultation.created_by_id == school_admin.id
    assert count(db, AuditEvent, AuditEvent.action == "consultation.create", AuditEvent.school_id == school.id) == 1


def test_opening_and_closing_times_are_read_as_beijing_time(client, db, school, school_admin, login_as):
    login_as(school_admin)

    client.post(
        new_url(school),
        data=form(opens_on="2030-03-02", opens_time="08:00", closes_on="2030-03-30", closes_time="18:00"),
    )

    consultation = only_consultation(db)
    assert consultation.opens_at == datetime(2030, 3, 2, 0, 0, tzinfo=UTC)
    assert consultation.closes_at == datetime(2030, 3, 30, 10, 0, tzinfo=UTC)


def test_the_new_page_suggests_dates_and_pre_moderation(client, school, school_admin, login_as):
    login_as(school_admin)

    page = client.get(new_url(school)).text

    assert field_value(page, "opens_on") and field_value(page, "closes_on")
    assert field_value(page, "opens_time") == "08:00" and field_value(page, "closes_time") == "18:00"
    assert '<option selected value="pre">' in page


def test_a_draft_without_title_or_dates_keeps_what_was_typed_and_says_why(client, db, school, school_admin, login_as):
    login_as(school_admin)

    response = client.post(new_url(school), data=form(title=" ", closes_on="", proposal="正文保留"), headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, "title") == "Please enter the consultation's title."
    assert field_error(response.text, "closes_on") == "Please enter the day it closes."
    assert "正文保留" in response.text
    assert count(db, Consultation) == 0


def test_closing_before_opening_is_refused_next_to_the_closing_date(client, db, school, school_admin, login_as):
    login_as(school_admin)

    response = client.post(new_url(school), data=form(opens_on="2030-03-30", closes_on="2030-03-02"), headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, "closes_on") == "The consultation must close after it opens."
    assert field_value(response.text, "closes_on") == "2030-03-02"
    assert count(db, Consultation) == 0


def test_closing_the_same_minute_it_opens_is_refused(client, db, school, school_admin, login_as):
    login_as(school_admin)

    response = client.post(new_url(school), data=form(closes_on="2030-03-02", closes_time="08:00"), headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, "closes_on") == "The consultation must close after it opens."


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": "题" * 201}, "title", "This has 201 characters; it can have at most 200."),
        ({"summary": "概" * 501}, "summary", "This has 501 characters; it can have at most 500."),
        ({"opens_on": "2030-02-30"}, "opens_on", "Enter a date such as 2026-09-01."),
        ({"closes_time": "25:00"}, "closes_time", "Enter a time such as 14:30."),
        ({"opens_on": "20300-01-01"}, "opens_on", "Enter a date such as 2026-09-01."),
        ({"audience": "everyone-in-the-world"}, "audience", "Please choose who may respond."),
        ({"moderation": "none"}, "moderation", "Please choose how responses are moderated."),
        ({"title": "标题\u202e反转"}, "title", "This contains characters that are not allowed."),
        ({"proposal": "正文\x00"}, "proposal", "This contains characters that are not allowed."),
        ({"proposal": "提" * 100_001}, "proposal", "This has 100,001 characters; it can have at most 100,000."),
    ],
)
def test_bad_details_are_refused_next_to_their_field(
    client, db, school, school_admin, login_as, changes, field, message
):
    login_as(school_admin)

    response = client.post(new_url(school), data=form(**changes), headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert count(db, Consultation) == 0


def test_posted_status_school_or_approval_are_ignored(client, db, school, other_school, school_admin, login_as):
    login_as(school_admin)

    client.post(
        new_url(school),
        data=form(
            status="approved",
            school_id=str(other_school.id),
            authority_id="1",
            approved_by_id=str(school_admin.id),
            outcome_heard="伪造",
        ),
    )

    consultation = only_consultation(db)
    assert consultation.status == ConsultationStatus.DRAFT and consultation.school_id == school.id
    assert (
        consultation.authority_id is None and consultation.approved_by_id is None and consultation.outcome_heard == ""
    )


def test_script_in_the_proposal_is_stored_as_typed_and_shown_as_text(client, db, school, school_admin, login_as):
    login_as(school_admin)
    client.post(new_url(school), data=form(title="<script>alert(1)</script>", proposal="<script>alert(2)</script>正文"))
    consultation = only_consultation(db)

    page = client.get(edit_url(consultation)).text

    assert consultation.title == "<script>alert(1)</script>"
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_board_member_cannot_draft_a_consultation(client, db, school, board_member, login_as):
    login_as(board_member)

    assert client.get(new_url(school)).status_code == 403
    assert client.post(new_url(school), data=form()).status_code == 403
    assert count(db, Consultation) == 0


def test_parent_cannot_draft_a_consultation(client, db, school, parent, login_as):
    login_as(parent)

    assert client.post(new_url(school), data=form()).status_code == 403
    assert count(db, Consultation) == 0


def test_admin_of_another_school_is_told_the_page_does_not_exist(client, db, school, make_user, other_school, login_as):
    login_as(make_user(role="school_admin", scope=other_school))

    assert client.post(new_url(school), data=form()).status_code == 404
    assert count(db, Consultation) == 0


# Previewing the proposal


def test_preview_without_javascript_shows_the_proposal_and_saves_nothing(client, db, school, school_admin, login_as):
    login_as(school_admin)

    response = client.post(
        new_url(school), data=form(action="preview", proposal="## 目的\n\n保障学生**睡眠**。"), headers=ENGLISH
    )

    assert response.status_code == 200
    assert "This is a preview. Nothing has been saved yet." in response.text
    assert "<strong>睡眠</strong>" in response.text
    assert field_value(response.text, "title") == "关于调整课后服务时间的意见征集"
    assert count(db, Consultation) == 0


def test_preview_with_htmx_answers_with_the_preview_alone_and_sanitised(
    client, db, make_consultation, school_admin, login_as
):
    consultation = make_consultation(Phase.DRAFT)
    login_as(school_admin)

    response = client.post(
        edit_url(consultation),
        data=form(action="preview", proposal='<img src=x onerror="alert(1)">**要点**'),
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="proposal-preview"')
    assert "<img" not in response.text and "<strong>要点</strong>" in response.text
    assert db.session.get(Consultation, consultation.id).title == "关于调整课后服务时间的意见征集"


# Editing a draft


def test_school_admin_edits_a_draft_and_the_change_is_audited(client, db, make_consultation, school_admin, login_as):
    consultation = make_consultation(Phase.DRAFT)
    login_as(school_admin)

    response = client.post(
        edit_url(consultation), data=form(title="关于调整课后服务结束时间的意见征集", moderation="post")
    )

    assert response.status_code == 303 and location_path(response) == edit_url(consultation)
    db.session.remove()
    changed = db.session.get(Consultation, consultation.id)
    assert changed.title == "关于调整课后服务结束时间的意见征集" and changed.moderation == ModerationMode.POST
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consultation.edit"))
    assert event.actor_id == school_admin.id and "title" in event.data["fields"]


def test_the_edit_page_shows_the_draft_as_saved(client, make_consultation, school_admin, login_as):
    consultation = make_consultation(
        Phase.DRAFT,
        opens_at=datetime(2030, 5, 1, 1, 30, tzinfo=UTC),
        closes_at=datetime(2030, 6, 1, tzinfo=UTC),
    )
    login_as(school_admin)

    page = client.get(edit_url(consultation), headers=ENGLISH).text

    assert field_value(page, "title") == consultation.title
    assert field_value(page, "opens_on") == "2030-05-01" and field_value(page, "opens_time") == "09:30"
    assert "您希望课后服务几点结束？" in page
    assert "Submit for approval" in page


def test_saving_an_unchanged_draft_says_nothing_changed(client, db, make_consultation, school_admin, login_as):
    consultation = make_consultation(
        Phase.DRAFT,
        opens_at=datetime(2030, 5, 1, 0, 0, tzinfo=UTC),
        closes_at=datetime(2030, 6, 1, 10, 0, tzinfo=UTC),
    )
    login_as(school_admin)
    page = client.get(edit_url(consultation)).text
    data = {name: field_value(page, name) for name in ("title", "opens_on", "opens_time", "closes_on", "closes_time")}
    data.update(summary=consultation.summary, proposal=consultation.proposal, audience="registered", moderation="pre")

    response = client.post(edit_url(consultation), data=data, headers=ENGLISH, follow_redirects=True)

    assert "Nothing was changed." in response.text
    assert count(db, AuditEvent, AuditEvent.action == "consultation.edit") == 0


def test_a_bad_edit_keeps_the_saved_draft_and_the_typed_text(client, db, make_consultation, school_admin, login_as):
    consultation = make_consultation(Phase.DRAFT)
    login_as(school_admin)

    response = client.post(
        edit_url(consultation),
        data=form(title="新标题保留", opens_on="2030-04-01", closes_on="2030-03-01"),
        headers=ENGLISH,
    )

    assert response.status_code == 422
    assert field_value(response.text, "title") == "新标题保留"
    assert db.session.get(Consultation, consultation.id).title == "关于调整课后服务时间的意见征集"


# The draft's page holds a form for its details, one to add a question, one per question to remove
# it, and one to submit. When one is refused, the others show the draft as saved.


@pytest.mark.parametrize(
    "suffix, data, refused_field",
    [
        ("", form(title="", summary="改过的摘要"), "title"),
        ("/questions", {"kind": "single", "prompt": "新问题", "choices": "只有一个选项"}, "choices"),
    ],
)
def test_a_refused_form_on_the_draft_page_leaves_the_others_as_saved(
    client, db, make_consultation, school_admin, login_as, suffix, data, refused_field
):
    consultation = make_consultation(Phase.DRAFT)
    login_as(school_admin)
    page_url = edit_url(consultation)
    as_shown = forms_on(client.get(page_url).text, under=page_url)

    response = client.post(page_url + suffix, data=data, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, refused_field)
    after = forms_on(response.text, under=page_url)
    assert after.keys() == as_shown.keys()
    for action, fields in as_shown.items():
        if action != page_url + suffix:
            assert after[action] == fields, action
    typed = after[page_url + suffix]
    assert all(typed[name] == [value] for name, value in data.items() if name != "action"), typed
    db.session.remove()
    saved = db.session.get(Consultation, consultation.id)
    assert saved.title == "关于调整课后服务时间的意见征集" and len(saved.questions) == 3


def test_board_member_cannot_open_or_edit_a_draft(client, db, make_consultation, board_member, login_as):
    consultation = make_consultation(Phase.DRAFT)
    login_as(board_member)

    assert client.get(edit_url(consultation)).status_code == 403
    assert client.post(edit_url(consultation), data=form(title="改")).status_code == 403


def test_a_draft_does_not_exist_for_a_parent_or_another_schools_admin(
    client, make_consultation, parent, make_user, other_school, login_as
):
    consultation = make_consultation(Phase.DRAFT)

    login_as(parent)
    assert client.get(edit_url(consultation)).status_code == 404
    login_as(make_user(role="school_admin", scope=other_school))
    assert client.get(edit_url(consultation)).status_code == 404


@pytest.mark.parametrize("ident", ["0", "99999999", "2147483648", "99999999999999999999"])
def test_unknown_consultation_is_not_found(client, school_admin, login_as, ident):
    login_as(school_admin)

    assert client.get(f"/manage/consultations/{ident}").status_code == 404


@pytest.mark.parametrize("phase", [Phase.SUBMITTED, Phase.OPEN, Phase.CLOSED])
def test_once_submitted_the_details_cannot_be_changed(client, db, make_consultation, school_admin, login_as, phase):
    consultation = make_consultation(phase)
    login_as(school_admin)

    response = client.post(edit_url(consultation), data=form(title="改标题"), headers=ENGLISH)

    assert response.status_code == 409
    assert "This consultation is no longer a draft" in response.text
    assert db.session.get(Consultation, consultation.id).title == "关于调整课后服务时间的意见征集"
    assert count(db, AuditEvent, AuditEvent.action == "consultation.edit") == 0


def test_an_htmx_change_refused_after_submission_answers_with_the_questions_as_they_are_and_the_reason(
    client, make_consultation, school_admin, login_as
):
    consultation = make_consultation(Phase.SUBMITTED)
    login_as(school_admin)

    response = client.post(
        edit_url(consultation, "/questions"), data={"kind": "text", "prompt": "再问一个"}, headers={**HTMX, **ENGLISH}
    )

    assert response.status_code == 409  # swapped into #questions like a 422 (base.html's htmx configuration)
    fragment = response.text
    assert 'id="questions"' in fragment and "<html" not in fragment
    assert "This consultation is no longer a draft" in fragment
    assert "Add the question" not in fragment and "再问一个" not in fragment


def test_an_htmx_preview_refused_after_submission_answers_in_the_preview_panel(
    client, make_consultation, school_admin, login_as
):
    consultation = make_consultation(Phase.SUBMITTED)
    login_as(school_admin)

    response = client.post(
        edit_url(consultation), data={"action": "preview", "proposal": "# 新的"}, headers={**HTMX, **ENGLISH}
    )

    assert response.status_code == 409
    assert 'id="proposal-preview"' in response.text and "This consultation is no longer a draft" in response.text


def test_after_submission_the_page_shows_where_it_is_read_only(client, make_consultation, school_admin, login_as):
    consultation = make_consultation(Phase.SUBMITTED)
    login_as(school_admin)

    page = client.get(edit_url(consultation), headers=ENGLISH).text

    assert "Awaiting approval" in page and "It can no longer be changed." in page
    assert 'name="title"' not in page and "Add the question" not in page and "Remove" not in page
    assert "您希望课后服务几点结束？" in page


# District-wide consultations


def test_commission_admin_drafts_a_district_wide_consultation(client, db, district, make_user, login_as):
    admin = make_user(role="commission_admin", scope=district)
    login_as(admin)

    response = client.post(f"/authorities/{district.id}/manage/consultations/new", data=form())

    consultation = only_consultation(db)
    assert response.status_code == 303 and location_path(response) == edit_url(consultation)
    assert consultation.authority_id == district.id and consultation.school_id is None
    assert client.get(edit_url(consultation)).status_code == 200


def test_moderator_cannot_draft_for_the_district(client, db, district, moderator, login_as):
    login_as(moderator)

    assert client.post(f"/authorities/{district.id}/manage/consultations/new", data=form()).status_code == 403
    assert count(db, Consultation) == 0


def test_commission_admin_of_another_district_cannot_draft_for_this_one(
    client, db, district, other_district, make_user, login_as
):
    login_as(make_user(role="commission_admin", scope=other_district))

    assert client.post(f"/authorities/{district.id}/manage/consultations/new", data=form()).status_code == 403


def test_unknown_authority_is_not_found(client, city, make_user, login_as):
    login_as(make_user(role="commission_admin", scope=city))

    assert client.get("/authorities/99999999/manage/consultations").status_code == 404
    assert client.get("/authorities/99999999999/manage/consultations/new").status_code == 404
