"""A response started and not sent: kept as it is typed (or when sending it fails its checks),
found again on the consultation's page with a way to discard it, deleted when it is sent, and part
of the person's data (exported, erased with the account). Being told before it closes:
tests/notifications/test_unfinished_responses.py."""

import json
import re
import zipfile

import pytest
from sqlalchemy import select

from portal.consultations import responses as response_services
from portal.consultations.models import Phase, ResponseDraft
from portal.pages import personal_data
from tests.helpers.consultations import respond
from tests.helpers.factories import PASSWORD
from tests.helpers.pages import ENGLISH, HTMX, log_in


def check_url(consultation) -> str:
    return f"/consultations/{consultation.id}/response/check"


def drafts_of(db, user) -> list[ResponseDraft]:
    return list(db.session.scalars(select(ResponseDraft).where(ResponseDraft.user_id == user.id)))


def typed(consultation, **fields):
    single, multiple, text = consultation.questions
    return {
        "stance": "oppose",
        "body": "我觉得五点半太晚了",
        f"answer_{single.id}": "2",
        f"answer_{multiple.id}": ["1"],
        f"answer_{text.id}": "希望有阅读课",
        **fields,
    }


@pytest.fixture
def consultation(make_consultation):
    return make_consultation()


def test_what_a_parent_types_is_kept_and_fills_the_form_when_they_come_back(client, db, consultation, parent):
    log_in(client, parent)

    checked = client.post(check_url(consultation), data=typed(consultation), headers={**HTMX, **ENGLISH})

    assert checked.status_code == 200
    (draft,) = drafts_of(db, parent)
    single, multiple, text = consultation.questions
    assert draft.answers == {
        "stance": "oppose",
        "body": "我觉得五点半太晚了",
        "show_name": False,
        "answers": {str(single.id): 2, str(multiple.id): [1], str(text.id): "希望有阅读课"},
    }
    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)
    assert "We kept what you started on" in page
    assert "我觉得五点半太晚了</textarea>" in page
    assert re.search(r'<input(?=[^>]*value="oppose")(?=[^>]*\bchecked\b)[^>]*>', page)
    assert f'action="/consultations/{consultation.id}/response/draft/discard"' in page


def test_a_send_that_fails_its_checks_keeps_what_was_typed(client, db, consultation, parent):
    log_in(client, parent)

    sent = client.post(f"/consultations/{consultation.id}/response", data=typed(consultation, stance=""))

    assert sent.status_code == 422
    (draft,) = drafts_of(db, parent)
    assert draft.answers["body"] == "我觉得五点半太晚了" and draft.answers["stance"] == ""


def test_forged_choices_and_questions_are_not_kept(client, db, consultation, parent):
    single, multiple, _text = consultation.questions
    log_in(client, parent)

    client.post(
        check_url(consultation),
        data={
            "stance": "maybe",
            "body": "",
            f"answer_{single.id}": "9",
            "answer_99999": "x",
            f"answer_{multiple.id}": "1",
        },
        headers=HTMX,
    )

    (draft,) = drafts_of(db, parent)
    assert draft.answers["stance"] == "" and draft.answers["answers"] == {str(multiple.id): [1]}


def test_nothing_typed_keeps_nothing(client, db, consultation, parent):
    log_in(client, parent)

    client.post(check_url(consultation), data={"body": "   "}, headers=HTMX)

    assert drafts_of(db, parent) == []


def test_sending_the_response_deletes_what_was_started(client, db, consultation, parent):
    log_in(client, parent)
    client.post(check_url(consultation), data=typed(consultation), headers=HTMX)

    sent = client.post(f"/consultations/{consultation.id}/response", data=typed(consultation))

    assert sent.status_code == 303
    assert drafts_of(db, parent) == []
    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)
    assert "We kept what you started" not in page


def test_changing_a_sent_response_is_not_an_unfinished_one(client, db, consultation, parent):
    respond(consultation, parent)
    log_in(client, parent)

    client.post(check_url(consultation), data=typed(consultation), headers=HTMX)

    assert drafts_of(db, parent) == []


def test_a_parent_discards_what_they_started_and_gets_an_empty_form(client, db, consultation, parent):
    log_in(client, parent)
    client.post(check_url(consultation), data=typed(consultation), headers=HTMX)

    discarded = client.post(f"/consultations/{consultation.id}/response/draft/discard", headers=ENGLISH)

    assert discarded.status_code == 303
    assert drafts_of(db, parent) == []
    page = client.get(f"/consultations/{consultation.id}", headers=ENGLISH).get_data(as_text=True)
    assert "We kept what you started" not in page and "我觉得五点半太晚了" not in page


def test_discarding_touches_only_ones_own_draft(client, db, consultation, parent, make_user):
    other = make_user(role="parent", scope=consultation.school)
    response_services.keep_draft(other, consultation, {"body": "别人的草稿"})
    db.session.commit()
    log_in(client, parent)

    client.post(f"/consultations/{consultation.id}/response/draft/discard")

    assert [draft.answers["body"] for draft in drafts_of(db, other)] == ["别人的草稿"]


def test_a_visitor_cannot_keep_or_discard_anything(client, db, consultation):
    for url in (check_url(consultation), f"/consultations/{consultation.id}/response/draft/discard"):
        answer = client.post(url, data={"body": "x"}, headers=HTMX)
        assert answer.status_code in (302, 303, 401)
    assert db.session.scalars(select(ResponseDraft)).all() == []


# --- personal data ------------------------------------------------------------------------


def test_what_was_started_is_in_the_persons_data_export_and_erased_with_the_account(
    client, db, consultation, make_user, school, tmp_path, with_app
):
    person = make_user(role="parent", scope=school, password=PASSWORD)
    response_services.keep_draft(person, consultation, {"body": "我个人的想法"})
    db.session.commit()

    with with_app():
        personal_data.write_export(person, tmp_path / "export.zip")
    with zipfile.ZipFile(tmp_path / "export.zip") as archive:
        names = archive.namelist()
        kept = json.loads(archive.read(next(name for name in names if name.endswith("response_drafts.json"))))
    assert "我个人的想法" in json.dumps(kept, ensure_ascii=False)

    log_in(client, person)
    deleted = client.post("/me/delete", data={"password": PASSWORD})

    assert deleted.status_code == 303

    assert drafts_of(db, person) == []


def test_a_draft_is_kept_only_while_the_consultation_is_open(db, make_consultation, parent):
    closed = make_consultation(Phase.CLOSED)

    assert response_services.keep_draft(parent, closed, {"body": "太晚了"}) is None
    assert drafts_of(db, parent) == []
