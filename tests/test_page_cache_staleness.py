"""The page cache is never stale: for each kind of change a visitor can see, the page a visitor
had in the cache shows the change on the very next request (the ORM listener bumps the version of
each table the commit changed, and the page recorded the tables it was built from;
portal/page_cache.py). Each test first makes sure the page is kept."""

from datetime import date, timedelta

import pytest

from portal import page_cache
from portal.accounts import services as account_services
from portal.charters import services as charter_services
from portal.consultations.models import Phase
from portal.decisions import services as decision_services
from portal.feedback import services as feedback_services
from portal.meetings import services as meeting_services
from portal.meetings.models import BodyKind
from portal.moderation import services as moderation_services
from portal.schools import services as school_services
from tests.helpers import disclosure as disclosure_helpers
from tests.helpers.charters import VERSION_1
from tests.helpers.clock import freeze
from tests.helpers.consultations import create_consultation, publish_outcome, respond, someone
from tests.helpers.decisions import publishable_drafts
from tests.helpers.pages import ENGLISH


@pytest.fixture
def cached(app, db):
    cache = app.extensions["page_cache"]
    app.config["PORTAL_PAGE_CACHE"] = True
    cache.store.clear()
    page_cache.bump_version()
    yield cache
    app.config["PORTAL_PAGE_CACHE"] = False
    cache.store.clear()


@pytest.fixture(autouse=True)
def _pdfs(pdfs_rendered_once_per_run):
    yield


def kept_page(app, path) -> str:
    """The page as a visitor reads it, made sure to be in the cache."""
    app.test_client(use_cookies=False).get(path, headers=ENGLISH)
    again = app.test_client(use_cookies=False).get(path, headers=ENGLISH)
    assert again.headers.get("X-Cache") == "hit", path
    return again.get_data(as_text=True)


def again(db, *objects):
    """The test's objects back in its session (a request's end closed the session they were in)."""
    for obj in objects:
        db.session.add(obj)
    return objects[0]


def next_page(app, path) -> str:
    """The visitor's very next request after the change."""
    response = app.test_client(use_cookies=False).get(path, headers=ENGLISH)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_published_decision_shows_on_the_school_page_at_once(app, cached, with_app, school, db):
    (draft,) = publishable_drafts(school, 1)
    draft.title = "关于午餐陪餐制度的决定"
    db.session.commit()
    assert "关于午餐陪餐制度的决定" not in kept_page(app, f"/schools/{school.slug}")
    kept_page(app, "/decisions")

    with with_app():
        decision_services.publish_decision(None, again(db, draft))
        db.session.commit()

    assert "关于午餐陪餐制度的决定" in next_page(app, f"/schools/{school.slug}")
    assert "关于午餐陪餐制度的决定" in next_page(app, "/decisions")


def test_an_approved_consultation_is_listed_at_once(app, cached, school, db):
    consultation = create_consultation(school, Phase.SUBMITTED, title="关于校服款式的意见征集")
    assert "关于校服款式的意见征集" not in kept_page(app, "/consultations")

    from portal.consultations import services as consultation_services

    consultation_services.approve(None, again(db, consultation))
    db.session.commit()

    assert "关于校服款式的意见征集" in next_page(app, "/consultations")


def test_a_consultation_opening_at_its_time_shows_open_at_once(app, cached, school, monkeypatch):
    consultation = create_consultation(school, Phase.SCHEDULED)
    path = f"/consultations/{consultation.id}"
    assert "consultation-phase-scheduled" in kept_page(app, path)

    freeze(monkeypatch, consultation.opens_at + timedelta(seconds=1))

    assert "consultation-phase-open" in next_page(app, path)


def test_a_consultation_closing_at_its_time_shows_closed_at_once(app, cached, school, monkeypatch):
    consultation = create_consultation(school, Phase.OPEN)
    path = f"/consultations/{consultation.id}"
    assert "consultation-phase-open" in kept_page(app, path)

    freeze(monkeypatch, consultation.closes_at + timedelta(seconds=1))

    assert "consultation-phase-closed" in next_page(app, path)


@pytest.fixture
def pending_response(school, db):
    consultation = create_consultation(school, Phase.OPEN)
    author = someone(display_name="家长王芳")
    return respond(consultation, author, body="建议把放学时间推迟到17:30。", show_name=True)


def test_moderating_a_response_shows_on_the_consultation_page_at_once(app, cached, pending_response, db):
    path = f"/consultations/{pending_response.consultation_id}"
    assert "建议把放学时间推迟到17:30。" not in kept_page(app, path)

    moderation_services.moderate(None, again(db, pending_response), "publish")
    db.session.commit()
    assert "建议把放学时间推迟到17:30。" in next_page(app, path)
    kept_page(app, path)

    moderation_services.moderate(None, again(db, pending_response), "hide", reason="人身攻击")
    db.session.commit()
    assert "建议把放学时间推迟到17:30。" not in next_page(app, path)
    kept_page(app, path)

    moderation_services.moderate(None, again(db, pending_response), "restore")
    db.session.commit()
    assert "建议把放学时间推迟到17:30。" in next_page(app, path)


def test_a_changed_display_name_shows_under_the_response_at_once(app, cached, pending_response, db):
    moderation_services.moderate(None, pending_response, "publish")
    db.session.commit()
    path = f"/consultations/{pending_response.consultation_id}"
    assert "家长王芳" in kept_page(app, path)

    account_services.update_profile(again(db, pending_response.author), display_name="家长王小芳", language=None)
    db.session.commit()

    assert "家长王小芳" in next_page(app, path)


def test_an_edited_school_profile_shows_at_once(app, cached, school, db):
    path = f"/schools/{school.slug}"
    assert "Riverside Experimental School" not in kept_page(app, path)

    school_services.update_school_profile(None, again(db, school), {"name_en": "Riverside Experimental School"})
    db.session.commit()

    assert "Riverside Experimental School" in next_page(app, path)
    assert "Riverside Experimental School" in next_page(app, "/schools")


def test_an_adopted_charter_shows_at_once(app, cached, with_app, school, db):
    path = f"/schools/{school.slug}/charter"
    assert "校务委员会每学期至少召开一次会议" not in kept_page(app, path)

    with with_app():
        version = charter_services.start_draft(None, again(db, school), from_template=False)
        charter_services.edit_draft(None, version, body=VERSION_1, change_note="首次制定")
        charter_services.adopt_version(None, version, adopted_on=date.today(), effective_on=date.today())
        db.session.commit()

    assert "校务委员会每学期至少召开一次会议" in next_page(app, path)


def test_approved_minutes_show_at_once(app, cached, with_app, school, db):
    body = meeting_services.create_body(None, school, {"kind": BodyKind.SCHOOL_BOARD, "name": "校务委员会"})
    from portal.clock import utcnow

    meeting = meeting_services.create_meeting(
        None,
        school,
        {"body_id": body.id, "title": "校务会", "starts_at": utcnow() - timedelta(days=3), "place": "会议室"},
    )
    meeting_services.edit_minutes(None, meeting, "原则通过年度工作计划。")
    db.session.commit()
    path = f"/meetings/{meeting.id}"
    before = kept_page(app, path)
    assert "原则通过年度工作计划。" not in before

    with with_app():
        meeting_services.approve_minutes(None, again(db, meeting))
        db.session.commit()

    assert "原则通过年度工作计划。" in next_page(app, path)


def test_a_public_answer_to_feedback_shows_at_once(app, cached, school, parent, db):
    feedback = feedback_services.send_feedback(
        parent,
        school,
        {"category": "facilities", "body": "晚上操场太暗。", "private": False, "submission_token": "t1"},
    )
    db.session.commit()
    path = f"/schools/{school.slug}"
    assert "已加装路灯" not in kept_page(app, path)

    feedback_services.reply_to_feedback(
        None, feedback, {"reply": "已加装路灯。", "public": True, "mark_answered": True}
    )
    db.session.commit()

    assert "已加装路灯" in next_page(app, path)


def test_a_published_outcome_shows_at_once(app, cached, school, db):
    consultation = create_consultation(school, Phase.CLOSED)
    path = f"/consultations/{consultation.id}"
    assert "多数家长支持延长至17:30。" not in kept_page(app, path)

    publish_outcome(again(db, consultation))

    assert "多数家长支持延长至17:30。" in next_page(app, path)


def test_a_published_disclosure_shows_on_the_schools_checklist_at_once(app, cached, school, db, make_user):
    items = disclosure_helpers.catalogue()
    admin = make_user(role="school_admin", scope=school)
    db.session.commit()
    path = f"/schools/{school.slug}/disclosure"
    assert f"{path}/" not in kept_page(app, path)

    disclosure = disclosure_helpers.publish(
        admin, again(db, school), items["finance-fees"], formed_on=date(2026, 11, 2)
    )
    db.session.commit()

    assert f'href="{path}/{disclosure.id}"' in next_page(app, path)
