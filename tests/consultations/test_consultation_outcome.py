"""Once a consultation has closed, its board members or admins publish the outcome — what was
heard, its themes with how many responses raised each, what changes — in one step that renders,
signs and archives its PDF. The PDF lists the decisions that answer the consultation."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.audit import AuditEvent
from portal.clock import utcnow
from portal.consultations import services
from portal.consultations.models import Consultation, ConsultationStatus, Phase
from portal.documents import render, signing
from portal.documents.models import Document, DocumentKind, PublicationLogEntry
from portal.documents.services import find_by_sha256
from tests.helpers.decisions import insert_published
from tests.helpers.pages import ENGLISH, field_error, field_value, heading, location_path
from tests.helpers.pdfs import pdf_text

HEARD = "多数家长支持调整，部分双职工家庭担心接送困难。"
CHANGES = "自2027年春季学期起，课后服务结束时间调整为17:30，并增设18:00延时看护。"


def outcome_url(consultation):
    return f"/manage/consultations/{consultation.id}/outcome"


def form(**changes):
    data = {
        "heard": HEARD,
        "changes": CHANGES,
        "theme_1_title": "支持延长课后服务",
        "theme_1_count": "2",
        "theme_2_title": "担心接送困难",
        "theme_2_count": "1",
        "confirm": "y",
    }
    data.update(changes)
    return data


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def fresh(db, consultation) -> Consultation:
    db.session.remove()
    return db.session.get(Consultation, consultation.id)


@pytest.fixture
def closed(make_consultation, make_response, make_user, parent, resident):
    """A closed consultation with three published responses (two for, one against) and one
    still awaiting moderation."""
    consultation = make_consultation(Phase.CLOSED)
    make_response(consultation, parent, "support", answers={"1": 1}, publish=True)
    make_response(consultation, resident, "support", answers={"1": 1}, publish=True)
    make_response(consultation, make_user(), "oppose", answers={"1": 0}, publish=True)
    make_response(consultation, make_user(), "neutral")
    return consultation


# Writing and publishing


def test_the_outcome_page_shows_who_took_part_and_the_decisions_answering_it(
    client, closed, school, board_member, login_as
):
    insert_published(school, title="关于调整课后服务时间的决定", consultation_id=closed.id)
    login_as(board_member)

    page = client.get(outcome_url(closed), headers=ENGLISH).text

    assert '<dd id="published-count">3</dd>' in page
    assert "Still awaiting moderation" in page
    assert "关于调整课后服务时间的决定" in page
    assert "at most 3, the number of published responses" in page
    assert page.count('name="theme_') == 16  # eight rows of theme and count
    # Publishing makes and signs a PDF: while it runs, the button is disabled and says so (data-working).
    assert 'class="stack stack-wide" data-working' in page
    assert "Publishing: the PDF of the outcome is being made and signed…" in page


def test_board_member_publishes_the_outcome_and_lands_on_the_public_page(client, db, closed, board_member, login_as):
    login_as(board_member)

    response = client.post(outcome_url(closed), data=form())

    assert response.status_code == 303
    assert location_path(response) == f"/consultations/{closed.id}"
    published = fresh(db, closed)
    assert published.status == ConsultationStatus.OUTCOME_PUBLISHED
    assert (published.outcome_heard, published.outcome_changes) == (HEARD, CHANGES)
    assert [(theme.position, theme.title, theme.count) for theme in published.themes] == [
        (1, "支持延长课后服务", 2),
        (2, "担心接送困难", 1),
    ]
    document = find_by_sha256(published.outcome_document_sha256)
    assert document.kind == DocumentKind.OUTCOME and document.signed
    assert (
        count(
            db,
            PublicationLogEntry,
            PublicationLogEntry.object_type == "outcome",
            PublicationLogEntry.object_id == closed.id,
        )
        == 1
    )
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consultation.outcome_publish"))
    assert (
        event.actor_id == board_member.id
        and event.school_id == closed.school_id
        and event.data["sha256"] == document.sha256
    )


def test_school_admin_may_publish_the_outcome_too(client, db, closed, school_admin, login_as):
    login_as(school_admin)

    assert client.post(outcome_url(closed), data=form()).status_code == 303
    assert fresh(db, closed).status == ConsultationStatus.OUTCOME_PUBLISHED


def test_the_pdf_shows_school_dates_participation_themes_texts_and_decisions(
    app, client, db, closed, school, board_member, login_as
):
    insert_published(school, title="关于调整课后服务时间的决定", consultation_id=closed.id, year=2026, sequence=7)
    insert_published(school, title="无关的决定", year=2026, sequence=8)
    login_as(board_member)

    client.post(outcome_url(closed), data=form(heard="## 主要意见\n\n" + HEARD))

    text = pdf_text(find_by_sha256(fresh(db, closed).outcome_document_sha256).content)
    flat = text.replace(" ", "").replace("\n", "")
    assert "测试第一小学" in text and "征求意见结果报告" in text
    assert "关于调整课后服务时间的意见征集" in flat
    opens, closes = (clock.local_date(moment) for moment in (closed.opens_at, closed.closes_at))
    assert f"{opens.year}年{opens.month}月{opens.day}日至{closes.year}年{closes.month}月{closes.day}日" in flat
    assert "公开意见3条：支持2条，反对1条，中立0条" in flat
    assert "支持延长课后服务2" in flat and "担心接送困难1" in flat
    assert "主要意见" in text and "双职工家庭担心接送困难" in flat
    assert "增设18:00延时看护" in flat
    assert "〔2026〕7号《关于调整课后服务时间的决定》" in flat and "无关的决定" not in flat
    assert "您希望课后服务几点结束？" in text  # the choice question's counts
    assert "https://portal.test/verify" in text
    with app.app_context():
        assert signing.verify_signature(find_by_sha256(fresh(db, closed).outcome_document_sha256).content) == "valid"


def test_the_published_pdf_is_found_by_the_verification_page(client, db, closed, board_member, login_as):
    login_as(board_member)
    client.post(outcome_url(closed), data=form())
    sha256 = fresh(db, closed).outcome_document_sha256

    page = client.post("/verify", data={"sha256": sha256}, headers=ENGLISH).text

    assert 'data-verdict="authentic"' in page
    assert f'href="/consultations/{closed.id}"' in page
    assert (
        "Outcome of the consultation “关于调整课后服务时间的意见征集”" in page and "First Test Primary School" in page
    )


def test_empty_theme_rows_are_ignored_and_themes_are_optional(client, db, closed, board_member, login_as):
    login_as(board_member)

    response = client.post(
        outcome_url(closed), data=form(theme_1_title="", theme_1_count="", theme_2_title=" ", theme_2_count=" ")
    )

    assert response.status_code == 303
    assert fresh(db, closed).themes == []


def test_counts_typed_with_full_width_digits_are_read(client, db, closed, board_member, login_as):
    login_as(board_member)

    client.post(outcome_url(closed), data=form(theme_1_count="３"))

    assert fresh(db, closed).themes[0].count == 3


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"heard": " "}, "heard", "Please say what you heard."),
        ({"changes": ""}, "changes", "Please say what changes as a result, or why nothing does."),
        ({"heard": "听" * 20_001}, "heard", "This has 20,001 characters; it can have at most 20,000."),
        (
            {"theme_1_count": "4"},
            "theme_1_count",
            "Enter a whole number from 0 to 3, the number of published responses.",
        ),
        (
            {"theme_1_count": "-1"},
            "theme_1_count",
            "Enter a whole number from 0 to 3, the number of published responses.",
        ),
        (
            {"theme_1_count": "两"},
            "theme_1_count",
            "Enter a whole number from 0 to 3, the number of published responses.",
        ),
        (
            {"theme_2_count": "99999999999"},
            "theme_2_count",
            "Enter a whole number from 0 to 3, the number of published responses.",
        ),
        ({"theme_1_count": ""}, "theme_1_count", "Enter how many responses raised this theme."),
        ({"theme_3_count": "1"}, "theme_3_title", "Name the theme, or leave its count empty."),
        ({"theme_1_title": "题" * 201}, "theme_1_title", "This has 201 characters; it can have at most 200."),
        ({"confirm": ""}, "confirm", "Tick the box to confirm before publishing."),
    ],
)
def test_bad_outcomes_are_refused_next_to_their_field_and_what_was_typed_is_kept(
    client, db, closed, board_member, login_as, changes, field, message
):
    login_as(board_member)

    response = client.post(outcome_url(closed), data=form(**changes), headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert field_value(response.text, "theme_2_title") == "担心接送困难"
    if "changes" not in changes:
        assert "增设18:00延时看护" in response.text
    assert fresh(db, closed).status == ConsultationStatus.APPROVED
    assert count(db, Document) == 0


def test_posted_status_themes_beyond_the_form_or_another_document_are_ignored(
    client, db, closed, board_member, login_as
):
    login_as(board_member)

    client.post(
        outcome_url(closed),
        data=form(
            theme_9_title="伪造主题",
            theme_9_count="1",
            status="draft",
            outcome_document_sha256="0" * 64,
            school_id="999",
        ),
    )

    published = fresh(db, closed)
    assert published.status == ConsultationStatus.OUTCOME_PUBLISHED and published.school_id == closed.school_id
    assert [theme.title for theme in published.themes] == ["支持延长课后服务", "担心接送困难"]
    assert published.outcome_document_sha256 != "0" * 64


# When it cannot be done


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.SUBMITTED, Phase.SCHEDULED, Phase.OPEN])
def test_the_outcome_waits_until_the_consultation_has_closed(
    client, db, make_consultation, school_admin, login_as, phase
):
    consultation = make_consultation(phase)
    login_as(school_admin)

    page = client.get(outcome_url(consultation), headers=ENGLISH)
    posted = client.post(outcome_url(consultation), data=form(theme_1_count="0", theme_2_count="0"), headers=ENGLISH)

    assert page.status_code == posted.status_code == 409
    assert "The outcome can be written once the consultation has closed." in page.text
    assert fresh(db, consultation).status != ConsultationStatus.OUTCOME_PUBLISHED


def test_a_published_outcome_is_never_published_again(client, db, closed, board_member, school_admin, login_as):
    login_as(board_member)
    client.post(outcome_url(closed), data=form())
    first = fresh(db, closed).outcome_document_sha256
    login_as(school_admin)

    page = client.get(outcome_url(closed))
    again = client.post(outcome_url(closed), data=form(heard="改写"), headers=ENGLISH)

    assert page.status_code == 303 and location_path(page) == f"/consultations/{closed.id}"
    assert again.status_code == 409 and "A published outcome is never changed." in again.text
    assert fresh(db, closed).outcome_document_sha256 == first and fresh(db, closed).outcome_heard == HEARD
    assert count(db, AuditEvent, AuditEvent.action == "consultation.outcome_publish") == 1


def test_an_overdue_outcome_says_so(client, make_consultation, board_member, login_as):
    consultation = make_consultation(
        Phase.CLOSED, opens_at=utcnow() - timedelta(days=90), closes_at=utcnow() - timedelta(days=31)
    )
    login_as(board_member)

    page = client.get(outcome_url(consultation), headers=ENGLISH).text

    assert "The outcome is overdue" in page


@pytest.mark.parametrize("failing", ["render", "sign"])
def test_a_failure_anywhere_publishes_nothing_keeps_the_text_and_says_so(
    client, db, closed, board_member, login_as, monkeypatch, failing
):
    if failing == "render":
        monkeypatch.setattr(render, "render_pdf", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("fonts missing")))
    else:
        monkeypatch.setattr(signing, "sign_pdf", lambda *a, **k: (_ for _ in ()).throw(OSError("no key")))
    login_as(board_member)

    response = client.post(outcome_url(closed), data=form(), headers=ENGLISH)

    assert response.status_code == 503
    assert "The PDF of the outcome could not be made, so nothing was published" in response.text
    assert HEARD in response.text and field_value(response.text, "theme_1_title") == "支持延长课后服务"
    unchanged = fresh(db, closed)
    assert unchanged.status == ConsultationStatus.APPROVED and unchanged.outcome_heard == "" and unchanged.themes == []
    assert count(db, Document) == 0 and count(db, PublicationLogEntry) == 0
    assert count(db, AuditEvent, AuditEvent.action.in_(["consultation.outcome_publish", "document.archive"])) == 0
    monkeypatch.undo()
    assert client.post(outcome_url(closed), data=form()).status_code == 303  # nothing was left half-done


def test_a_full_disk_while_storing_publishes_nothing_and_offers_to_send_the_text_again(
    client, db, closed, board_member, login_as, monkeypatch
):
    monkeypatch.setattr(
        Document, "__init__", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left on device"))
    )
    login_as(board_member)

    response = client.post(outcome_url(closed), data=form(), headers=ENGLISH)

    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert heading(response.text) == "Nothing was published"
    assert f'name="heard" value="{HEARD}"' in response.text  # the "send again" form keeps the text
    unchanged = fresh(db, closed)
    assert unchanged.status == ConsultationStatus.APPROVED and unchanged.outcome_heard == ""
    assert count(db, Document) == 0 and count(db, PublicationLogEntry) == 0


# Who may


def test_parent_may_not_write_the_outcome(client, closed, parent, login_as):
    login_as(parent)

    assert client.get(outcome_url(closed)).status_code == 403
    assert client.post(outcome_url(closed), data=form()).status_code == 403


def test_the_outcome_page_does_not_exist_for_another_schools_admin_or_moderator(
    client, closed, make_user, other_school, other_moderator, login_as
):
    login_as(make_user(role="school_admin", scope=other_school))
    assert client.post(outcome_url(closed), data=form()).status_code == 404
    login_as(other_moderator)
    assert client.get(outcome_url(closed)).status_code == 404


def test_the_districts_moderator_oversees_but_does_not_write_the_outcome(client, db, closed, moderator, login_as):
    login_as(moderator)

    assert client.post(outcome_url(closed), data=form()).status_code == 403
    assert fresh(db, closed).status == ConsultationStatus.APPROVED


def test_commission_admin_publishes_the_outcome_of_a_district_wide_consultation(
    client, db, district, make_consultation, make_response, parent, make_user, login_as
):
    consultation = make_consultation(Phase.CLOSED, authority=district, audience="parents")
    make_response(consultation, parent, "support", publish=True)
    login_as(make_user(role="commission_admin", scope=district))

    response = client.post(outcome_url(consultation), data=form(theme_1_count="1", theme_2_count="0"))

    assert response.status_code == 303
    published = fresh(db, consultation)
    text = pdf_text(find_by_sha256(published.outcome_document_sha256).content)
    assert "测试甲区教育委员会" in text and "经验证的家长（共1人）" in text.replace(" ", "")


# The service on its own (what the CLI, a job or another page would call)


def reason_of(call, *args, **kwargs):
    from portal.domain import DomainError

    with pytest.raises(DomainError) as refused:
        call(*args, **kwargs)
    return refused.value.reason


@pytest.mark.parametrize(
    "data, reason",
    [
        ({"heard": "", "changes": CHANGES}, "heard_missing"),
        ({"heard": HEARD, "changes": "  "}, "changes_missing"),
        ({"heard": HEARD, "changes": CHANGES, "themes": [("多", 4)]}, "theme_count_too_high"),
        ({"heard": HEARD, "changes": CHANGES, "themes": [("负", -1)]}, "theme_count"),
        ({"heard": HEARD, "changes": CHANGES, "themes": [("真", True)]}, "theme_count"),
        ({"heard": HEARD, "changes": CHANGES, "themes": [("", 1)]}, "theme_title"),
        ({"heard": HEARD, "changes": CHANGES, "themes": [(f"主题{n}", 0) for n in range(9)]}, "too_many_themes"),
    ],
)
def test_the_service_refuses_an_incomplete_outcome_before_rendering_anything(app, db, closed, data, reason):
    with app.app_context():
        assert reason_of(services.publish_outcome, None, db.session.get(Consultation, closed.id), data) == reason
        db.session.rollback()

    assert count(db, Document) == 0


def test_the_service_refuses_an_open_consultation_and_a_second_outcome(app, db, make_consultation, closed):
    open_one = make_consultation(Phase.OPEN)
    data = {"heard": HEARD, "changes": CHANGES}

    with app.app_context():
        assert reason_of(services.publish_outcome, None, open_one, data) == "not_closed"
        services.publish_outcome(None, closed, data)
        assert reason_of(services.publish_outcome, None, closed, data) == "outcome_published"
