"""The exports of published responses, /consultations/<id>/responses.csv and .json: streamed,
UTF-8 (the CSV with a BOM for Excel), display names only where the author chose to show theirs,
and text that spreadsheets would run as a formula kept as text."""

import csv
import io
import json

import pytest

from portal.consultations.models import Phase
from tests.helpers.pages import ENGLISH


@pytest.fixture
def consultation(make_consultation, make_response, make_user):
    consultation = make_consultation()
    single, multiple, text = consultation.questions
    make_response(
        consultation,
        make_user(display_name="署名家长", email="named@example.org"),
        "support",
        body="同意，\n希望尽快实施。",
        answers={str(single.id): "1", str(multiple.id): ["0", "3"], str(text.id): "增加篮球"},
        show_name=True,
        publish=True,
    )
    make_response(
        consultation,
        make_user(display_name="匿名家长", email="secret@example.org"),
        "oppose",
        body='=HYPERLINK("http://evil")',
        publish=True,
    )
    make_response(consultation, make_user(display_name="待审核家长"), "neutral", body="还没发布")
    return consultation


def csv_rows(response) -> list[list[str]]:
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_is_utf8_with_bom_and_one_row_per_published_response(client, consultation):
    response = client.get(f"/consultations/{consultation.id}/responses.csv", headers=ENGLISH)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="consultation-{consultation.id}-responses.csv"'
    )
    assert response.is_streamed
    header, *rows = csv_rows(response)
    assert header == [
        "Response no.",
        "Published",
        "Respondent",
        "Stance",
        "您希望课后服务几点结束？",
        "您希望增加哪些活动？",
        "其他建议",
        "Comments",
    ]
    assert [row[2:] for row in rows] == [
        ["署名家长", "Support", "17:30", "体育; 作业辅导", "增加篮球", "同意，\n希望尽快实施。"],
        ["Anonymous", "Oppose", "", "", "", '\'=HYPERLINK("http://evil")'],
    ]
    assert rows[0][1].endswith("+08:00")  # published, on the schools' clock


def test_exports_never_name_anonymous_authors_nor_show_emails(client, consultation):
    for extension in ("csv", "json"):
        body = client.get(f"/consultations/{consultation.id}/responses.{extension}").data.decode("utf-8")
        assert "匿名家长" not in body and "secret@example.org" not in body and "named@example.org" not in body
        assert "待审核家长" not in body and "还没发布" not in body


def test_json_lists_the_questions_and_the_published_responses(client, consultation):
    response = client.get(f"/consultations/{consultation.id}/responses.json")

    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(response.data)
    single, multiple, text = consultation.questions
    assert data["consultation"]["id"] == consultation.id
    assert [q["prompt"] for q in data["consultation"]["questions"]] == [
        "您希望课后服务几点结束？",
        "您希望增加哪些活动？",
        "其他建议",
    ]
    named, anonymous = data["responses"]
    assert named["name"] == "署名家长" and named["stance"] == "support"
    assert named["answers"] == {
        str(single.id): "17:30",
        str(multiple.id): ["体育", "作业辅导"],
        str(text.id): "增加篮球",
    }
    assert anonymous["name"] is None and anonymous["answers"] == {}
    assert anonymous["body"] == '=HYPERLINK("http://evil")'  # JSON is data: kept exactly


def test_json_gives_the_consultation_s_public_address_whichever_name_the_request_used(
    app, client, consultation, monkeypatch
):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["portal.test", "portal.intranet"])

    response = client.get(f"/consultations/{consultation.id}/responses.json", headers={"Host": "portal.intranet"})

    data = json.loads(response.data)
    assert data["consultation"]["url"] == f"https://portal.test/consultations/{consultation.id}"
    assert "portal.intranet" not in response.get_data(as_text=True)


def test_json_escapes_markup_so_no_browser_takes_it_for_a_page(client, make_consultation, make_response, make_user):
    consultation = make_consultation()
    make_response(consultation, make_user(), body="<script>alert(1)</script>", publish=True)

    response = client.get(f"/consultations/{consultation.id}/responses.json")

    assert b"<script>" not in response.data
    assert json.loads(response.data)["responses"][0]["body"] == "<script>alert(1)</script>"


def test_an_export_without_responses_is_just_the_header(client, make_consultation):
    consultation = make_consultation()

    assert len(csv_rows(client.get(f"/consultations/{consultation.id}/responses.csv"))) == 1
    assert json.loads(client.get(f"/consultations/{consultation.id}/responses.json").data)["responses"] == []


def test_exports_of_a_consultation_not_yet_approved_are_not_found(client, make_consultation):
    consultation = make_consultation(Phase.SUBMITTED)

    assert client.get(f"/consultations/{consultation.id}/responses.csv").status_code == 404
    assert client.get(f"/consultations/{consultation.id}/responses.json").status_code == 404


def test_a_long_export_comes_in_several_chunks(client, make_consultation, make_response, make_user, monkeypatch):
    from portal import web

    monkeypatch.setattr(web, "CSV_CHUNK", 100)  # about one row (of ~100 characters) a chunk
    consultation = make_consultation()
    for n in range(10):
        make_response(consultation, make_user(), body=f"第{n}条" * 20, publish=True)

    response = client.get(f"/consultations/{consultation.id}/responses.csv")

    chunks = list(response.response)
    assert len(chunks) > 5
    assert len(list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))) == 11


# --- conditional requests: a browser or a script that has the export asks again with its ETag ---


def download(client, address, **headers):
    """The whole answer, read to its end (a streamed export holds its request until it is)."""
    answer = client.get(address, headers=headers)
    answer.get_data()
    return answer


def ask_again(client, address, answer, **headers):
    return download(client, address, **{"If-None-Match": answer.headers["ETag"], **headers})


@pytest.mark.parametrize("extension", ["csv", "json"])
def test_an_export_asked_again_unchanged_is_not_modified_and_nothing_is_streamed(client, consultation, extension):
    address = f"/consultations/{consultation.id}/responses.{extension}"
    first = download(client, address, **ENGLISH)

    again = ask_again(client, address, first, **ENGLISH)

    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert "Set-Cookie" not in first.headers  # a download begins no session


@pytest.mark.parametrize("extension", ["csv", "json"])
def test_an_export_is_sent_again_once_another_response_is_published(
    client, consultation, make_response, make_user, extension
):
    address = f"/consultations/{consultation.id}/responses.{extension}"
    first = download(client, address)
    make_response(consultation, make_user(display_name="后来的家长"), "support", body="补充一条。", publish=True)

    again = ask_again(client, address, first)

    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    assert "补充一条" in again.get_data(as_text=True)


def test_an_export_is_sent_again_once_a_response_is_hidden(client, consultation):
    from sqlalchemy import select

    from portal.consultations.models import Response, ResponseState
    from portal.extensions import db
    from portal.moderation import services as moderation

    address = f"/consultations/{consultation.id}/responses.csv"
    first = download(client, address)
    shown = db.session.scalars(
        select(Response).where(Response.consultation_id == consultation.id, Response.state == ResponseState.PUBLISHED)
    ).first()
    moderation.moderate(None, shown, "hide", reason="人身攻击")
    db.session.commit()

    again = ask_again(client, address, first)

    assert again.status_code == 200
    assert len(csv_rows(again)) == len(csv_rows(first)) - 1


def test_an_export_is_sent_again_once_an_author_changes_their_name(client, consultation):
    from portal.accounts import services as account_services
    from portal.accounts.models import User
    from portal.extensions import db

    address = f"/consultations/{consultation.id}/responses.csv"
    first = download(client, address)
    named = db.session.query(User).filter_by(email="named@example.org").one()
    account_services.update_profile(named, display_name="改名的家长", language=None)
    db.session.commit()

    again = ask_again(client, address, first)

    assert again.status_code == 200
    assert "改名的家长" in again.get_data(as_text=True)


def test_each_language_has_its_own_export(client, consultation):
    address = f"/consultations/{consultation.id}/responses.csv"
    english = download(client, address, **ENGLISH)

    chinese = ask_again(client, address, english, **{"Accept-Language": "zh-CN"})

    assert chinese.status_code == 200
    assert "反对" in chinese.get_data(as_text=True)


def test_someone_logged_in_always_gets_the_whole_export(client, consultation, login_as, make_user):
    address = f"/consultations/{consultation.id}/responses.csv"
    login_as(make_user(display_name="研究者"))

    answer = download(client, address)

    assert answer.status_code == 200 and "ETag" not in answer.headers
