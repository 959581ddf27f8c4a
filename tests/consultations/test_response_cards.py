"""The cards of published responses, and the results, are made once per process for what they
show (web.made_once) and taken again on every visit. Whatever was made first, and for whom,
each person still sees exactly what they would have seen: an anonymous author's name only by
those who see authors, the page's language, a changed name or an edited response at once."""

import re

import pytest
from markupsafe import Markup

from portal import web
from portal.accounts import services as account_services
from portal.accounts.models import User
from portal.consultations.models import Phase
from tests.helpers.consultations import respond, someone
from tests.helpers.pages import ENGLISH

CHINESE = {"Accept-Language": "zh-CN"}


pytestmark = pytest.mark.usefixtures("nothing_made_once")


@pytest.fixture
def consultation(make_consultation):
    return make_consultation(Phase.OPEN)


def responses_section(client, consultation, headers=ENGLISH) -> str:
    response = client.get(f"/consultations/{consultation.id}", headers=headers)
    assert response.status_code == 200
    match = re.search(r'<section id="responses".*?</section>', response.get_data(as_text=True), re.S)
    assert match
    return match.group(0)


def test_an_anonymous_author_seen_by_a_moderator_first_stays_anonymous_to_the_next_visitor(
    client, app, consultation, moderator, login_as
):
    author = someone("匿名作者甲")
    respond(consultation, author, body="不署名的意见。", show_name=False, publish=True)

    login_as(moderator)
    for_moderator = responses_section(client, consultation)
    for_visitor = responses_section(app.test_client(), consultation)

    assert "匿名作者甲" in for_moderator
    assert "不署名的意见" in for_visitor
    assert "匿名作者甲" not in for_visitor
    assert "Anonymous" in for_visitor


def test_a_parent_after_a_moderator_sees_the_card_without_the_authors_name(
    client, consultation, moderator, parent, login_as
):
    author = someone("匿名作者乙")
    respond(consultation, author, body="另一条不署名的意见。", show_name=False, publish=True)

    login_as(moderator)
    assert "匿名作者乙" in responses_section(client, consultation)
    login_as(parent)
    for_parent = responses_section(client, consultation)

    assert "另一条不署名的意见" in for_parent
    assert "匿名作者乙" not in for_parent


def test_the_card_speaks_the_language_of_each_page(client, consultation):
    respond(consultation, someone("署名者"), stance="oppose", body="反对。", show_name=True, publish=True)

    chinese = responses_section(client, consultation, CHINESE)
    english = responses_section(client, consultation, ENGLISH)

    assert re.search(r'class="tag stance stance-oppose">反对<', chinese)
    assert re.search(r'class="tag stance stance-oppose">Oppose<', english)


def test_a_changed_display_name_shows_on_the_next_visit(client, db, consultation):
    author = someone("旧名字")
    respond(consultation, author, body="署名的意见。", show_name=True, publish=True)
    assert "旧名字" in responses_section(client, consultation)

    account_services.update_profile(db.session.get(User, author.id), display_name="新名字", language=None)
    db.session.commit()
    page = responses_section(client, consultation)

    assert "新名字" in page
    assert "旧名字" not in page


def test_an_edited_and_republished_response_shows_its_new_words(client, consultation):
    author = someone()
    respond(consultation, author, body="第一稿。", show_name=False, publish=True)
    assert "第一稿" in responses_section(client, consultation)

    respond(consultation, author, body="改过的第二稿。", show_name=False, publish=True)
    page = responses_section(client, consultation)

    assert "改过的第二稿" in page
    assert "第一稿" not in page


def test_a_second_visit_makes_no_card_and_no_results_again(client, consultation, monkeypatch):
    for n in range(3):
        respond(consultation, someone(), body=f"意见{n}。", show_name=bool(n % 2), publish=True)
    made = []
    make = web._make
    monkeypatch.setattr(web, "_make", lambda *args: made.append(args[1]) or make(*args))

    first = responses_section(client, consultation)
    made_first = sorted(made)
    made.clear()
    second = responses_section(client, consultation)

    assert made_first == ["response_card"] * 3 + ["results_section"]
    assert made == []
    assert first == second


def test_only_plain_values_are_made_once_never_database_rows(app, consultation):
    with app.test_request_context(), pytest.raises(TypeError, match="plain values"):
        web.made_once("consultations/_macros.html", "response_card", consultation, (), False)


def test_the_html_kept_is_bounded_in_characters_the_least_recently_used_going_first():
    kept = web._MadeOnce(budget=10)
    kept.put("a", Markup("12345"))
    kept.put("b", Markup("12345"))
    assert kept.get("a") == "12345"  # "a" is now the most recently used

    kept.put("c", Markup("123"))
    too_big = Markup("x" * 11)
    kept.put("d", too_big)

    assert kept.get("b") is None
    assert kept.get("a") == "12345" and kept.get("c") == "123"
    assert kept.get("d") is None
    assert kept.used == 8
