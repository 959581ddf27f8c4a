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
