"""A responsible supervisor is scoped to their schools like the staff are: another district's
schools' management pages, its authority pages and its cases do not exist for them (404); their
own school's management pages exist and are refused (403: they direct the school, they do not run
it). And the supervisor's public answer shows on the school's page beside the school's public
answer; a private one only on the sender's own item page."""

import pytest

from portal.extensions import db
from portal.supervision import services

OTHER_SCHOOL_PAGES = [
    "/schools/{slug}/manage",
    "/schools/{slug}/manage/charter",
    "/schools/{slug}/manage/decisions",
    "/schools/{slug}/manage/feedback",
    "/schools/{slug}/manage/disclosure",
    "/schools/{slug}/manage/consultations",
    "/schools/{slug}/manage/invitations",
]


@pytest.mark.parametrize("path", OTHER_SCHOOL_PAGES)
def test_a_supervisor_of_another_district_does_not_find_a_schools_management_pages(
    client, login_as, other_supervisor, school, path
):
    login_as(other_supervisor)

    assert client.get(path.format(slug=school.slug)).status_code == 404


@pytest.mark.parametrize("path", OTHER_SCHOOL_PAGES[:3])
def test_a_supervisor_of_the_school_is_refused_its_management_pages(client, login_as, supervisor, school, path):
    login_as(supervisor)

    assert client.get(path.format(slug=school.slug)).status_code == 403


@pytest.mark.parametrize("path", ["/authorities/{id}/manage/disclosure-items", "/authorities/{id}/manage/supervisors"])
def test_a_supervisor_of_another_district_does_not_find_its_authority_pages(
    client, login_as, other_supervisor, supervisor, school, path
):
    login_as(other_supervisor)
    assert client.get(path.format(id=school.authority_id)).status_code == 404
    login_as(supervisor)  # of a school in that district: it exists, and is not theirs to manage
    assert client.get(path.format(id=school.authority_id)).status_code == 403


def test_a_supervisor_of_another_district_does_not_find_a_case(
    client, login_as, other_supervisor, supervisor, parent, send, school, with_app
):
    answered = send(parent, school, answered=True)
    with with_app():
        case = services.request_review(parent, answered, {"reason": "不满意"})
        db.session.commit()
    login_as(other_supervisor)

    assert client.get(f"/supervision/{case.id}").status_code == 404
    assert client.post(f"/supervision/{case.id}", data={"answer": "越权"}).status_code == 404


# --- the supervisor's answer where the public reads the school's ---------------------------


@pytest.fixture
def reviewed(parent, send, school, supervisor, with_app):
    """An item the school answered publicly, whose sender asked for a review."""
    answered = send(parent, school, answered=True, body="校门口接送秩序混乱。")
    with with_app():
        case = services.request_review(parent, answered, {"reason": "学校的答复没有解决问题。"})
        db.session.commit()
    return case


def answer(client, login_as, supervisor, case, text, public):
    login_as(supervisor)
    data = {"answer": text, **({"public": "y"} if public else {})}
    assert client.post(f"/supervision/{case.id}", data=data).status_code == 303
    log_out(client)


def log_out(client):
    with client.session_transaction() as session:
        session.clear()


def test_a_public_answer_shows_beside_the_schools_answer_on_its_page(
    client, login_as, supervisor, parent, reviewed, school
):
    answer(client, login_as, supervisor, reviewed, "督学已约谈学校，下周起增派人手。", public=True)

    page = client.get(f"/schools/{school.slug}").text

    assert "已与交警沟通。" in page
    assert f'id="supervisor-answer-{reviewed.id}"' in page
    assert "督学已约谈学校，下周起增派人手。" in page


def test_a_private_answer_is_only_on_the_senders_item(
    client, login_as, supervisor, parent, reviewed, school, make_user
):
    answer(client, login_as, supervisor, reviewed, "这是只给您的答复。", public=False)

    assert "这是只给您的答复。" not in client.get(f"/schools/{school.slug}").text
    login_as(make_user(role="parent", scope=school, display_name="另一位家长"))
    assert "这是只给您的答复。" not in client.get(f"/schools/{school.slug}").text
    assert client.get(f"/me/feedback/{reviewed.feedback_id}").status_code == 404
    login_as(parent)
    assert "这是只给您的答复。" in client.get(f"/me/feedback/{reviewed.feedback_id}").text


def test_the_public_answer_on_a_private_item_is_never_shown(
    client, login_as, supervisor, parent, send, school, with_app
):
    private = send(parent, school, answered=True, private=True, body="私下反映的问题。")
    with with_app():
        case = services.request_review(parent, private, {"reason": "不满意"})
        db.session.commit()
    answer(client, login_as, supervisor, case, "私密事项的答复。", public=True)

    assert "私密事项的答复。" not in client.get(f"/schools/{school.slug}").text
