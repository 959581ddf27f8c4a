"""A school admin publishes against the checklist: a draft records when the information was
formed (the deadline counts from then), publishing takes a short text or a PDF (a PDF by its
content, within the size limit and the hostile-PDF limits of /verify, archived by its SHA-256),
and every step is audited. A district's commission admin adds items for the area; nobody removes
a national one."""

import io
from datetime import date

import pytest
from sqlalchemy import select

from portal.audit import AuditEvent
from portal.disclosure.models import DisclosureItem, DisclosureStatus, SchoolDisclosure
from portal.documents import checking, signing
from portal.documents.models import Document
from portal.extensions import db
from tests.helpers import disclosure as helpers
from tests.helpers.clock import beijing, freeze

# Uploading a PDF checks its signature in a child of the fork server (portal/documents/checking.py).
pytestmark = pytest.mark.usefixtures("pdf_fork_server")


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    freeze(monkeypatch, beijing(2026, 12, 3, 10))


@pytest.fixture
def items(db):
    return helpers.catalogue()


@pytest.fixture
def fees(items):
    return items["finance-fees"]


def address(school, item):
    return f"/schools/{school.slug}/manage/disclosure/{item.id}"


def disclosures(school):
    return list(db.session.scalars(select(SchoolDisclosure).where(SchoolDisclosure.school_id == school.id)))


def actions():
    return [event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_a_school_admin_saves_a_draft_and_the_deadline_starts(client, login_as, school_admin, school, fees):
    login_as(school_admin)

    response = client.post(address(school, fees), data={"formed_on": "2026-12-01", "text": "草稿", "save": "1"})

    assert response.status_code == 303
    (draft,) = disclosures(school)
    assert (draft.status, draft.formed_on) == (DisclosureStatus.DRAFT, date(2026, 12, 1))
    assert "disclosure.save_draft" in actions()
    page = client.get(f"/schools/{school.slug}/disclosure").text
    assert 'id="item-finance-fees" data-state="not_yet_due"' in page


def test_publishing_a_text_publishes_the_draft(client, login_as, school_admin, school, fees):
    login_as(school_admin)
    client.post(address(school, fees), data={"formed_on": "2026-12-01", "text": "草稿", "save": "1"})

    client.post(
        address(school, fees),
        data={"formed_on": "2026-12-01", "text": "本学期不收取任何费用。", "publish": "1", "confirm": "y"},
    )

    (published,) = disclosures(school)
    assert published.status == DisclosureStatus.PUBLISHED
    assert published.text == "本学期不收取任何费用。"
    assert "disclosure.publish" in actions()


def test_publishing_without_the_tick_publishes_nothing_and_keeps_what_was_typed(
    client, login_as, school_admin, school, fees
):
    login_as(school_admin)
    client.post(address(school, fees), data={"formed_on": "2026-12-01", "text": "草稿", "save": "1"})

    response = client.post(
        address(school, fees), data={"formed_on": "2026-12-02", "text": "本学期不收取任何费用。", "publish": "1"}
    )

    assert response.status_code == 422
    assert 'id="confirm-error"' in response.text
    assert "本学期不收取任何费用。</textarea>" in response.text
    assert 'value="2026-12-02"' in response.text
    (draft,) = disclosures(school)
    assert (draft.status, draft.text, draft.formed_on) == (DisclosureStatus.DRAFT, "草稿", date(2026, 12, 1))
    assert "disclosure.publish" not in actions()


def test_saving_a_draft_needs_no_tick(client, login_as, school_admin, school, fees):
    login_as(school_admin)

    response = client.post(address(school, fees), data={"formed_on": "2026-12-01", "text": "草稿", "save": "1"})

    assert response.status_code == 303
    (draft,) = disclosures(school)
    assert draft.status == DisclosureStatus.DRAFT


def test_the_publish_form_asks_for_the_tick_and_says_it_is_working(client, login_as, school_admin, school, fees):
    login_as(school_admin)

    page = client.get(address(school, fees)).text

    start = page.index(f'<form method="post" action="{address(school, fees)}"')
    form = page[start : page.index("</form>", start)]
    assert " data-working>" in form
    assert 'type="checkbox"' in form and 'name="confirm"' in form
    assert 'class="htmx-indicator working" role="status"' in form
    # portal.js disables button[type=submit] while the form works: the two actions are buttons.
    assert '<button type="submit" class="button" name="publish" value="1">' in form
    assert '<button type="submit" class="button button-secondary" name="save" value="1">' in form


def test_publishing_a_pdf_archives_it_by_its_fingerprint(client, login_as, school_admin, school, fees):
    login_as(school_admin)

    response = client.post(
        address(school, fees),
        data={
            "formed_on": "2026-12-01",
            "publish": "1",
            "confirm": "y",
            "file": (io.BytesIO(helpers.small_pdf()), "收费.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 303
    (published,) = disclosures(school)
    document = db.session.get(
        Document, db.session.scalar(select(Document.id).where(Document.sha256 == published.document_sha256))
    )
    assert document.signed and document.kind == "disclosure"
    assert "document.archive" in actions()


def test_publishing_nothing_is_refused_beside_the_text(client, login_as, school_admin, school, fees):
    login_as(school_admin)

    response = client.post(address(school, fees), data={"formed_on": "2026-12-01", "publish": "1", "confirm": "y"})

    assert response.status_code == 422
    assert 'id="text-error"' in response.text
    assert disclosures(school) == []


@pytest.mark.parametrize(
    "content, name",
    [
        (b"<html><script>alert(1)</script></html>", "notice.pdf"),  # a PDF by its name only
        (b"", "empty.pdf"),
    ],
)
def test_a_file_that_is_not_a_pdf_is_refused(client, login_as, school_admin, school, fees, content, name):
    login_as(school_admin)

    response = client.post(
        address(school, fees),
        data={"formed_on": "2026-12-01", "publish": "1", "confirm": "y", "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert 'id="file-error"' in response.text
    assert disclosures(school) == []


@pytest.mark.parametrize("outcome", ["unchecked", "busy"])
def test_a_pdf_the_bounded_reader_gives_up_on_is_refused_and_never_signed(
    monkeypatch, client, login_as, school_admin, school, fees, outcome
):
    """The file is read first as /verify reads one (portal.documents.checking: a child process with
    CPU, memory and time limits; tests/documents/test_verify_limits.py shows a whitespace bomb
    stopped there). One it gives up on, or a moment when every slot is taken, is refused here,
    and the portal's own signing code never parses it."""

    def bounded_reader(pdf_bytes, **_certificates):
        if outcome == "busy":
            raise checking.CheckerBusy()
        return "unchecked"

    monkeypatch.setattr(checking, "check_signature", bounded_reader)
    monkeypatch.setattr(signing, "sign_pdf", lambda *a, **k: pytest.fail("a refused file was signed"))
    login_as(school_admin)

    response = client.post(
        address(school, fees),
        data={
            "formed_on": "2026-12-01",
            "publish": "1",
            "confirm": "y",
            "file": (io.BytesIO(helpers.small_pdf()), "bomb.pdf"),
        },
        content_type="multipart/form-data",
    )

    assert response.status_code == 422
    assert 'id="file-error"' in response.text
    assert disclosures(school) == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    monkeypatch, app, client, login_as, school_admin, school, fees
):
    # A small limit: the test client keeps a larger body in a temporary file it never closes.
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100 * 1024)
    login_as(school_admin)
    too_big = b"%PDF-1.7\n" + b"0" * (100 * 1024)

    response = client.post(
        address(school, fees),
        data={"formed_on": "2026-12-01", "publish": "1", "confirm": "y", "file": (io.BytesIO(too_big), "big.pdf")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 413
    assert disclosures(school) == []


@pytest.mark.parametrize(
    "data, field",
    [
        ({"formed_on": ""}, "formed_on"),
        ({"formed_on": "2026-13-40"}, "formed_on"),
        ({"formed_on": "20026-01-01"}, "formed_on"),
        ({"formed_on": "2026-12-04"}, "formed_on"),  # tomorrow
        ({"formed_on": "2026-12-01", "text": "字" * 5_001}, "text"),
        ({"formed_on": "2026-12-01", "text": "bad\x00byte"}, "text"),
    ],
)
def test_bad_input_is_refused_beside_its_field_keeping_what_was_typed(
    client, login_as, school_admin, school, fees, data, field
):
    login_as(school_admin)

    response = client.post(address(school, fees), data={**data, "save": "1"})

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert disclosures(school) == []


def test_an_item_of_another_district_is_not_found(client, login_as, school_admin, school, other_district, with_app):
    with with_app():
        from portal.disclosure import services

        other = services.add_item(
            school_admin,
            other_district,
            {
                "category": "safety",
                "title_zh": "乙区事项",
                "title_en": "District B item",
                "content_zh": "内容",
                "content_en": "Contents",
                "basis": "依据",
                "deadline_days": 20,
                "audience": "public",
                "source_title": "乙区",
            },
        )
        db.session.commit()
    login_as(school_admin)

    assert client.get(address(school, other)).status_code == 404
    assert 'id="item-local-' not in client.get(f"/schools/{school.slug}/disclosure").text


def test_a_board_member_may_not_publish(client, login_as, board_member, school, fees):
    login_as(board_member)

    assert (
        client.post(address(school, fees), data={"formed_on": "2026-12-01", "publish": "1", "text": "x"}).status_code
        == 403
    )


# --- the catalogue ------------------------------------------------------------------------------


def catalogue_form(**changes):
    return {
        "category": "safety",
        "title_zh": "校车安全",
        "title_en": "School buses",
        "content_zh": "校车线路、车辆和驾驶人信息",
        "content_en": "Routes, vehicles and drivers",
        "basis": "《校车安全管理条例》",
        "deadline_days": "10",
        "audience": "parents",
        "source_title": "测试甲区教育委员会",
        **changes,
    }


def test_a_district_adds_an_item_its_schools_must_publish(
    client, login_as, make_user, district, school, other_school, items
):
    login_as(make_user(role="commission_admin", scope=district))

    response = client.post(f"/authorities/{district.id}/manage/disclosure-items", data=catalogue_form())

    assert response.status_code == 303
    added = db.session.scalar(select(DisclosureItem).where(DisclosureItem.title_zh == "校车安全"))
    assert added.authority_id == district.id and added.deadline_days == 10
    assert f'id="item-{added.code}"' in client.get(f"/schools/{school.slug}/disclosure").text
    assert f'id="item-{added.code}"' not in client.get(f"/schools/{other_school.slug}/disclosure").text
    assert "disclosure.add_item" in actions()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"deadline_days": "0"}, "deadline_days"),
        ({"deadline_days": "251"}, "deadline_days"),
        ({"deadline_days": "²"}, "deadline_days"),
        ({"category": "forged"}, "category"),
        ({"title_zh": ""}, "title_zh"),
        ({"title_en": "x" * 201}, "title_en"),
    ],
)
def test_a_bad_catalogue_item_is_refused(client, login_as, make_user, district, items, changes, field):
    login_as(make_user(role="commission_admin", scope=district))

    response = client.post(f"/authorities/{district.id}/manage/disclosure-items", data=catalogue_form(**changes))

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text


def test_nobody_removes_a_national_item(client, login_as, make_user, city, fees):
    login_as(make_user(role="commission_admin", scope=city))

    response = client.post(f"/authorities/{city.id}/manage/disclosure-items/{fees.id}/remove")

    assert response.status_code == 303
    assert db.session.get(DisclosureItem, fees.id).removed_at is None


def test_a_district_removes_its_own_item(client, login_as, make_user, district, items):
    login_as(make_user(role="commission_admin", scope=district))
    client.post(f"/authorities/{district.id}/manage/disclosure-items", data=catalogue_form())
    added = db.session.scalar(select(DisclosureItem).where(DisclosureItem.title_zh == "校车安全"))

    client.post(f"/authorities/{district.id}/manage/disclosure-items/{added.id}/remove")

    assert db.session.get(DisclosureItem, added.id).removed_at is not None
    assert "disclosure.remove_item" in actions()


def test_a_district_cannot_remove_the_citys_item(client, login_as, make_user, city, district, items):
    login_as(make_user(role="commission_admin", scope=city))
    client.post(f"/authorities/{city.id}/manage/disclosure-items", data=catalogue_form())
    added = db.session.scalar(select(DisclosureItem).where(DisclosureItem.title_zh == "校车安全"))
    login_as(make_user(role="commission_admin", scope=district))

    client.post(f"/authorities/{district.id}/manage/disclosure-items/{added.id}/remove")

    assert db.session.get(DisclosureItem, added.id).removed_at is None
