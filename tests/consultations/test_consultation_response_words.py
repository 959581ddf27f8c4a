"""The filter box over a consultation's published responses: words in their text, within this
consultation only; what awaits a moderator, was rejected or hidden is never found."""

from urllib.parse import urlencode

import pytest

from portal.extensions import db
from portal.moderation import services as moderation_services
from tests.consultations.test_consultation_responses import bodies
from tests.helpers.pages import HTMX


@pytest.fixture
def talk(make_consultation, make_response, make_user):
    consultation = make_consultation()
    for body in ("希望食堂增加水果", "校服太贵了", "支持食堂公开食谱", "Canteen menus online, please"):
        make_response(consultation, make_user(), body=body, publish=True)
    make_response(consultation, make_user(), body="食堂还没审核的意见")  # awaiting a moderator
    hidden = make_response(consultation, make_user(), body="食堂被隐藏的回应", publish=True)
    moderation_services.moderate(None, hidden, "hide", reason="人身攻击")
    db.session.commit()
    elsewhere = make_consultation(title="另一个意见征集")
    make_response(elsewhere, make_user(), body="另一处的食堂意见", publish=True)
    return consultation


def filtered(client, consultation, headers=None, **args) -> str:
    url = f"/consultations/{consultation.id}/responses?" + urlencode(args)
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_words_find_only_this_consultations_published_responses_that_hold_them(client, talk):
    assert bodies(filtered(client, talk, words="食堂")) == ["支持食堂公开食谱", "希望食堂增加水果"]


def test_every_word_must_be_there_and_letters_match_in_any_case(client, talk):
    assert bodies(filtered(client, talk, words="食堂 水果")) == ["希望食堂增加水果"]
    assert bodies(filtered(client, talk, words="CANTEEN")) == ["Canteen menus online, please"]


def test_words_found_nowhere_say_so_and_keep_what_was_typed(client, talk):
    page = filtered(client, talk, words="<b>潜水艇</b>")

    assert bodies(page) == []
    assert "&lt;b&gt;潜水艇&lt;/b&gt;" in page and "<b>潜水艇" not in page


def test_the_filter_box_is_on_the_consultation_page_and_htmx_gets_the_list_alone(client, talk):
    page = client.get(f"/consultations/{talk.id}").get_data(as_text=True)
    assert 'name="words"' in page

    fragment = filtered(client, talk, headers={**HTMX, "HX-Target": "responses"}, words="校服")
    assert fragment.lstrip().startswith('<section id="responses"')
    assert bodies(fragment) == ["校服太贵了"]


@pytest.mark.parametrize("words", ["%", "_", "\\", "x" * 5000, "a b c d e f g h"])
def test_odd_or_long_words_are_only_text(client, talk, words):
    filtered(client, talk, words=words)
