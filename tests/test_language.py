"""Which language a page is in: the account's choice, then the cookie, then the browser, then Chinese."""

import pytest

from portal.accounts.models import User
from tests.helpers.pages import CJK, location_path, session_id


def html_lang(response) -> str:
    page = response.get_data(as_text=True)
    start = page.index('<html lang="') + len('<html lang="')
    return page[start : page.index('"', start)]


def lang_cookie(response):
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("lang="):
            return header.split(";")[0].split("=", 1)[1]
    return None


def test_home_page_is_in_chinese_by_default(client, db, compiled_catalogues):
    response = client.get("/")

    assert response.status_code == 200
    assert html_lang(response) == "zh-CN"
    page = response.get_data(as_text=True)
    assert "学校" in page
    assert "School governance, open to everyone" not in page


def test_home_page_is_in_english_for_a_browser_asking_for_english(client, db, compiled_catalogues):
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})

    assert html_lang(response) == "en"
    assert "Log in" in response.get_data(as_text=True)


def test_browser_preferring_chinese_gets_chinese(client, db):
    assert html_lang(client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})) == "zh-CN"


def test_browser_asking_for_a_language_we_do_not_have_gets_chinese(client, db):
    assert html_lang(client.get("/", headers={"Accept-Language": "fr-FR,de;q=0.8"})) == "zh-CN"


def test_language_switch_sets_a_cookie_and_goes_back(client, db):
    response = client.post("/language", data={"lang": "en", "next": "/login"})

    assert response.status_code == 303
    assert location_path(response) == "/login"
    assert lang_cookie(response) == "en"
    assert html_lang(client.get("/login")) == "en"


def test_chosen_language_wins_over_the_browsers(client, db):
    client.post("/language", data={"lang": "zh"})

    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "zh-CN"


def test_language_switch_is_saved_on_the_account(client, db, make_user, login_as):
    user = login_as(make_user(language="zh"))

    response = client.post("/language", data={"lang": "en", "next": "/me"})

    assert response.status_code == 303
    assert lang_cookie(response) == "en"
    assert db.session.get(User, user.id).language == "en"


def test_my_saved_language_wins_over_the_browsers(client, make_user, login_as):
    login_as(make_user(language="zh"))

    assert html_lang(client.get("/me", headers={"Accept-Language": "en"})) == "zh-CN"


def test_my_saved_language_wins_over_an_older_cookie(app, db, make_user):
    user = make_user(language="en")
    client = app.test_client()
    client.set_cookie("lang", "zh", domain="portal.test")
    logged_in = session_id(user)
    with client.session_transaction() as session:
        session["_user_id"] = logged_in

    assert html_lang(client.get("/")) == "en"


def test_language_i_saved_follows_me_to_another_device(app, client, make_user, login_as):
    user = login_as(make_user(language=None))
    client.post("/language", data={"lang": "en"})

    other_device = app.test_client()
    logged_in = session_id(user)
    with other_device.session_transaction() as session:
        session["_user_id"] = logged_in

    assert html_lang(other_device.get("/", headers={"Accept-Language": "zh"})) == "en"


@pytest.mark.parametrize("unknown", ["fr", "", "EN", "zh-TW", "../../etc", "en; Path=/"])
def test_unknown_language_is_ignored(client, db, make_user, login_as, unknown):
    user = login_as(make_user(language="zh"))

    response = client.post("/language", data={"lang": unknown, "next": "/me"})

    assert response.status_code == 303
    assert location_path(response) == "/me"
    assert lang_cookie(response) is None
    assert db.session.get(User, user.id).language == "zh"
    assert html_lang(client.get("/me")) == "zh-CN"


def test_unknown_language_in_an_old_cookie_is_ignored(client, db):
    client.set_cookie("lang", "xx", domain="portal.test")

    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "en"


def test_visitor_can_switch_language_without_an_account(client, db):
    response = client.post("/language", data={"lang": "en"})

    assert response.status_code == 303
    assert lang_cookie(response) == "en"
    assert location_path(response) == "/"


def test_language_switch_form_is_on_every_page(client, db):
    page = client.get("/login").get_data(as_text=True)

    assert 'action="/language"' in page
    assert 'name="lang"' in page
    assert CJK.search(page)  # the Chinese name of the language is offered whatever the page language


# A link can ask for a language: /decisions/12?lang=en is the English page, whoever opens it.


@pytest.fixture
def published_decision(db, school):
    from tests.helpers.decisions import insert_published

    return insert_published(school)


def test_shared_link_to_the_english_decision_page_shows_english(client, published_decision, compiled_catalogues):
    response = client.get(f"/decisions/{published_decision.id}?lang=en", headers={"Accept-Language": "zh-CN"})

    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert "Log in" in response.get_data(as_text=True)


def test_language_asked_in_a_link_is_remembered_on_later_pages(client, published_decision, compiled_catalogues):
    response = client.get(f"/decisions/{published_decision.id}?lang=en")

    assert lang_cookie(response) == "en"
    assert html_lang(client.get("/decisions")) == "en"
    assert html_lang(client.get("/")) == "en"


def test_language_from_a_link_is_kept_in_the_language_cookie_as_the_switch_keeps_it(client, published_decision):
    # Every page's forms need a session (its CSRF token); the language is not put in it.
    response = client.get(f"/decisions/{published_decision.id}?lang=en")

    assert lang_cookie(response) == "en"
    assert "lang=en; Expires=" in next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("lang="))
    with client.session_transaction() as session:
        assert not any("lang" in key for key in session)


def test_link_in_the_language_already_chosen_sets_no_cookie_again(client, db):
    client.post("/language", data={"lang": "en"})

    response = client.get("/?lang=en")

    assert html_lang(response) == "en"
    assert lang_cookie(response) is None


def test_language_in_a_link_wins_over_the_cookie_and_replaces_it(client, db):
    client.post("/language", data={"lang": "en"})

    response = client.get("/decisions?lang=zh")

    assert html_lang(response) == "zh-CN"
    assert lang_cookie(response) == "zh"
    assert html_lang(client.get("/")) == "zh-CN"


def test_language_in_a_link_is_saved_on_my_account(client, db, make_user, login_as):
    user = login_as(make_user(language="zh"))

    response = client.get("/me?lang=en")

    assert html_lang(response) == "en"
    assert db.session.get(User, user.id).language == "en"
    assert html_lang(client.get("/me")) == "en"


@pytest.mark.parametrize("unknown", ["fr", "", "fr-CA", "zhx", "../../etc", "en; Path=/"])
def test_unknown_language_in_a_link_is_ignored(client, db, make_user, login_as, unknown):
    user = login_as(make_user(language="zh"))

    response = client.get("/me", query_string={"lang": unknown}, headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert html_lang(response) == "zh-CN"
    assert lang_cookie(response) is None
    assert db.session.get(User, user.id).language == "zh"


def test_visitor_with_an_unknown_language_in_a_link_gets_the_usual_language_and_no_cookie(client, db):
    response = client.get("/decisions?lang=fr", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert lang_cookie(response) is None


def test_switching_language_on_a_page_opened_by_a_language_link_does_not_switch_back(client, db):
    page = client.get("/decisions?page=2&lang=en").get_data(as_text=True)

    assert 'name="next" value="/decisions?page=2"' in page
    response = client.post("/language", data={"lang": "zh", "next": "/decisions?page=2"})
    assert html_lang(client.get(location_path(response))) == "zh-CN"


def test_another_site_embedding_a_language_link_does_not_change_my_saved_language(client, db, make_user, login_as):
    user = login_as(make_user(language="zh"))

    response = client.get("/?lang=en", headers={"Sec-Fetch-Dest": "image", "Sec-Fetch-Site": "cross-site"})

    assert lang_cookie(response) is None
    assert db.session.get(User, user.id).language == "zh"
    assert html_lang(client.get("/")) == "zh-CN"


def test_a_language_link_followed_from_another_site_is_remembered(client, db, make_user, login_as):
    user = login_as(make_user(language="zh"))

    response = client.get("/?lang=en", headers={"Sec-Fetch-Dest": "document", "Sec-Fetch-Site": "cross-site"})

    assert lang_cookie(response) == "en"
    assert db.session.get(User, user.id).language == "en"


# The page says lang="zh-CN", and other sites write language tags in their links: a link's
# ?lang= names the portal's language by any tag whose language it is.
@pytest.mark.parametrize(
    "asked, shown, kept",
    [("zh-CN", "zh-CN", "zh"), ("zh_Hans", "zh-CN", "zh"), ("ZH-cn", "zh-CN", "zh"), ("en-GB", "en", "en")],
)
def test_a_link_may_name_the_language_by_its_full_tag(client, db, asked, shown, kept):
    client.set_cookie("lang", "en" if kept == "zh" else "zh", domain="portal.test")

    response = client.get(f"/decisions?lang={asked}")

    assert html_lang(response) == shown
    assert lang_cookie(response) == kept  # the cookie holds the portal's own name for it
    assert html_lang(client.get("/")) == shown


@pytest.mark.parametrize("asked", ["fr", "fr-CA", "zhx", "-zh", "e", "../en"])
def test_a_link_naming_no_language_of_the_portal_changes_nothing(client, db, asked):
    client.set_cookie("lang", "en", domain="portal.test")

    response = client.get(f"/decisions?lang={asked}")

    assert html_lang(response) == "en" and lang_cookie(response) is None


@pytest.mark.parametrize(
    "language, expected",
    [("zh-CN", "2026年12月5日 21:43"), ("en", "Dec 5, 2026, 9:43\u202fPM")],
)
def test_moments_people_read_are_shown_to_the_minute_in_beijing_time(app, language, expected):
    """'Last saved', 'Logged in', 'Published on': the day and the time, without seconds."""
    from datetime import UTC, datetime

    from portal.i18n import TO_THE_MINUTE, format_datetime

    with app.test_request_context("/", headers={"Accept-Language": language}):
        shown = format_datetime(datetime(2026, 12, 5, 13, 43, 27, tzinfo=UTC), TO_THE_MINUTE)

    assert shown.replace(" ", "\u202f") == expected.replace(" ", "\u202f")
