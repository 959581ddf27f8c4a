"""A school admin adds questions to a draft — free text, one choice, several choices, at most ten
— and removes them, with or without JavaScript."""

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEvent
from portal.consultations.models import Consultation, Phase, Question, QuestionKind
from tests.helpers.pages import ENGLISH, HTMX, field_error, location_path


def questions_url(consultation, suffix=""):
    return f"/manage/consultations/{consultation.id}/questions{suffix}"


def questions_of(db, consultation) -> list[Question]:
    db.session.remove()
    return db.session.get(Consultation, consultation.id).questions


def test_school_admin_adds_a_choice_question_one_choice_a_line(client, db, make_consultation, school_admin, login_as):
    consultation = make_consultation(Phase.DRAFT, questions=[])
    login_as(school_admin)

    response = client.post(
        questions_url(consultation),
        data={"kind": "single", "prompt": "您希望几点放学？", "choices": "17:00\r\n 17:30 \r\n\r\n18:00\r\n"},
    )

    assert response.status_code == 303
    assert location_path(response) == f"/manage/consultations/{consultation.id}"
    (question,) = questions_of(db, consultation)
    assert (
        question.kind == QuestionKind.SINGLE
        and question.choices == ["17:00", "17:30", "18:00"]
        and question.position == 1
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "consultation.question_add")
        )
        == 1
    )


def test_a_free_text_question_ignores_any_choices_typed(client, db, make_consultation, school_admin, login_as):
    consultation = make_consultation(Phase.DRAFT, questions=[])
    login_as(school_admin)

    client.post(questions_url(consultation), data={"kind": "text", "prompt": "其他建议", "choices": "甲\n乙"})

    (question,) = questions_of(db, consultation)
    assert question.kind == QuestionKind.TEXT and question.choices == []


def test_with_htmx_the_questions_section_comes_back_with_the_new_question(
    client, make_consultation, school_admin, login_as
):
    consultation = make_consultation(Phase.DRAFT, questions=[])
    login_as(school_admin)

    response = client.post(
        questions_url(consultation),
        data={"kind": "multiple", "prompt": "您关心哪些方面？", "choices": "价格\n面料"},
        headers={**HTMX, **ENGLISH},
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="panel" id="questions"')
    assert "您关心哪些方面？" in response.text and "Several choices" in response.text
    assert 'hx-swap-oob="innerHTML">Question 1 is added.' in response.text


def test_a_bad_question_with_htmx_comes_back_in_its_section_with_an_error_summary_to_focus(
    client, db, make_consultation, school_admin, login_as
):
    consultation = make_consultation(Phase.DRAFT, questions=[])
    login_as(school_admin)

    response = client.post(
        questions_url(consultation), data={"kind": "text", "prompt": " ", "choices": ""}, headers={**HTMX, **ENGLISH}
    )

    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section class="panel" id="questions"')
    assert '<div class="error-summary" role="alert" tabindex="-1" autofocus>' in response.text
    assert '<a href="#prompt">' in response.text
    page = client.get(f"/manage/consultations/{consultation.id}").text
    assert 'class="error-summary"' not in page  # nothing was refused on this page


@pytest.mark.parametrize(
    "data, field, message",
    [
        (
            {"kind": "single", "prompt": "选一个", "choices": "唯一"},
            "choices",
            "A choice question needs at least 2 choices, one a line.",
        ),
        (
            {"kind": "multiple", "prompt": "选几个", "choices": ""},
            "choices",
            "A choice question needs at least 2 choices, one a line.",
        ),
        ({"kind": "single", "prompt": "选一个", "choices": "甲\n甲"}, "choices", "Each choice may appear only once."),
        (
            {"kind": "single", "prompt": "选一个", "choices": "\n".join(str(n) for n in range(13))},
            "choices",
            "A question can have at most 12 choices.",
        ),
        (
            {"kind": "single", "prompt": "选一个", "choices": "甲\n" + "乙" * 121},
            "choices",
            "Each choice can have at most 120 characters.",
        ),
        ({"kind": "text", "prompt": " "}, "prompt", "Please enter the question."),
        ({"kind": "text", "prompt": "问" * 301}, "prompt", "This has 301 characters; it can have at most 300."),
        ({"kind": "essay", "prompt": "问题"}, "kind", "Please choose what kind of question this is."),
    ],
)
def test_bad_questions_are_refused_next_to_their_field_and_the_typed_text_kept(
    client, db, make_consultation, school_admin, login_as, data, field, message
):
    consultation = make_consultation(Phase.DRAFT, questions=[])
    login_as(school_admin)

    response = client.post(questions_url(consultation), data=data, headers=ENGLISH)

    assert response.status_code == 422
    assert field_error(response.text, field) == message
    if data["prompt"].strip():
        assert data["prompt"][:50] in response.text
    assert questions_of(db, consultation) == []


def test_an_eleventh_question_is_refused(client, db, make_consultation, school_admin, login_as):
    consultation = make_consultation(Phase.DRAFT, questions=[{"kind": "text", "prompt": f"问题{n}"} for n in range(10)])
    login_as(school_admin)

    page = client.get(f"/manage/consultations/{consultation.id}", headers=ENGLISH).text
    response = client.post(
        questions_url(consultation), data={"kind": "text", "prompt": "第十一个问题"}, headers=ENGLISH
    )

    assert "This consultation has the most questions it can have (10)." in page and "Add the question" not in page
    assert response.status_code == 422
    assert "A consultation can have at most 10 questions." in response.text
    assert len(questions_of(db, consultation)) == 10


def test_school_admin_removes_a_question_and_the_others_close_up(client, db, make_consultation, school_admin, login_as):
    consultation = make_consultation(Phase.DRAFT)  # three questions
    first = consultation.questions[0]
    login_as(school_admin)

    response = client.post(questions_url(consultation, f"/{first.id}/remove"))

    assert response.status_code == 303
    assert [(q.position, q.prompt) for q in questions_of(db, consultation)] == [
        (1, "您希望增加哪些活动？"),
        (2, "其他建议"),
    ]
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "consultation.question_remove")
        )
        == 1
    )


def test_removing_a_question_of_another_consultation_is_not_found(
    client, db, make_consultation, school_admin, login_as
):
    consultation = make_consultation(Phase.DRAFT)
    other = make_consultation(Phase.DRAFT)
    login_as(school_admin)

    response = client.post(questions_url(consultation, f"/{other.questions[0].id}/remove"))

    assert response.status_code == 404
    assert len(questions_of(db, other)) == 3


def test_board_member_cannot_add_or_remove_questions(client, db, make_consultation, board_member, login_as):
    consultation = make_consultation(Phase.DRAFT)
    login_as(board_member)

    assert client.post(questions_url(consultation), data={"kind": "text", "prompt": "再问"}).status_code == 403
    assert client.post(questions_url(consultation, f"/{consultation.questions[0].id}/remove")).status_code == 403
    assert len(questions_of(db, consultation)) == 3


@pytest.mark.parametrize("phase", [Phase.SUBMITTED, Phase.SCHEDULED, Phase.OPEN])
def test_questions_cannot_change_once_submitted(client, db, make_consultation, school_admin, login_as, phase):
    consultation = make_consultation(phase)
    login_as(school_admin)

    added = client.post(questions_url(consultation), data={"kind": "text", "prompt": "再问"}, headers=ENGLISH)
    removed = client.post(questions_url(consultation, f"/{consultation.questions[0].id}/remove"), headers=ENGLISH)

    assert added.status_code == removed.status_code == 409
    assert "This consultation is no longer a draft" in added.text
    assert len(questions_of(db, consultation)) == 3
