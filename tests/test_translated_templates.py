"""A page's fixed words are translated when its template is compiled, once per language
(i18n.TranslatedAsCompiled, i18n.TranslatingEnvironment), not once per page view: the pages and
mails read exactly as when each `_()` ran as it was rendered, in Chinese and in English."""

import re

import pytest
from flask import render_template
from flask_babel import force_locale
from jinja2 import DictLoader, Environment, pass_eval_context, select_autoescape
from markupsafe import Markup
from sqlalchemy import select

from portal import i18n
from portal.consultations.models import Consultation
from portal.decisions.models import Decision, DecisionStatus
from portal.i18n import TranslatedAsCompiled, TranslatingEnvironment
from portal.notifications import mail
from tests.helpers.pages import log_in

SLUG = "jiefang-road-primary"


@pytest.fixture
def db(demo_world, savepoint_db):
    return savepoint_db


def translated_when_rendered(monkeypatch):
    """From here on, templates as they were before: compiled as written, `_()` run at each render."""
    monkeypatch.setattr(TranslatingEnvironment, "_in_page_language", lambda self: self)


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"|"X-CSRFToken": "[^"]+"', "TOKEN", page)


@pytest.fixture
def addresses(db):
    consultation = db.session.scalar(
        select(Consultation.id).where(Consultation.school.has(slug=SLUG)).order_by(Consultation.id)
    )
    decision = db.session.scalar(
        select(Decision.id).where(Decision.status == DecisionStatus.PUBLISHED).order_by(Decision.id)
    )
    return [
        "/",
        "/schools",
        f"/schools/{SLUG}",
        f"/consultations/{consultation}",
        "/consultations",
        f"/decisions/{decision}",
        "/decisions",
        "/search?q=家长",
        "/terms",
        "/login",
        "/register",
        "/verify",
        "/no-such-page",
    ]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_page_reads_as_when_each_word_was_translated_as_it_was_shown(
    app, db, addresses, parent, monkeypatch, language
):
    def in_language(address):
        return f"{address}{'&' if '?' in address else '?'}lang={language}"

    clients = {"visitor": app.test_client(), "parent": log_in(app.test_client(), parent)}
    compiled_translated = {
        (who, address): client.get(in_language(address)) for who, client in clients.items() for address in addresses
    }
    translated_when_rendered(monkeypatch)
    for (who, address), response in compiled_translated.items():
        before = clients[who].get(in_language(address))
        assert response.status_code == before.status_code, (who, address)
        assert without_tokens(response.get_data(as_text=True)) == without_tokens(before.get_data(as_text=True)), (
            who,
            address,
        )


def test_the_words_are_in_the_compiled_page_not_looked_up_as_it_is_shown(app, db, client):
    page = client.get("/terms", query_string={"lang": "en"}).get_data(as_text=True)
    assert "Rules of participation" in page
    with app.test_request_context("/", query_string={"lang": "zh"}):
        template = app.jinja_env.get_template("base.html")
        assert template.environment is not app.jinja_env
        assert template.environment.catalogue.ugettext("Skip to main content") == "跳到主要内容"
        assert i18n.translations().ugettext("Skip to main content") == "跳到主要内容"
        source = template.environment.loader.get_source(template.environment, "base.html")[0]
        compiled = template.environment.compile(source, "base.html", raw=True)
    assert "跳到主要内容" in compiled
    assert "Skip to main content" not in compiled


def test_another_application_made_in_the_same_process_leaves_them_translated_as_compiled(app, db, client):
    # Each application replaces Flask-Babel's domain (i18n.register), whose catalogues are then
    # loaded anew: the same words, other objects. Still one compiled page per language.
    from portal import create_app

    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False})
    for language in ("zh", "en", "zh", "en"):
        assert client.get("/terms", query_string={"lang": language}).status_code == 200
    with app.test_request_context("/", query_string={"lang": "en"}):
        assert app.jinja_env.get_template("base.html").environment.catalogue is not None
    assert len(app.jinja_env._overlays) <= 2


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_mail_reads_as_before_in_the_language_it_is_written_in(app, db, monkeypatch, language):
    def written():  # as notifications.mail writes one: its own request, the recipient's language forced
        with app.app_context(), mail._rendering(), force_locale(language):
            context = {
                "name": "王芳",
                "paragraphs": ["<段落>"],
                "link_label": "链接",
                "url": "https://x.test/a",
                "note": "注",
            }
            return (
                render_template("mail/account.txt", subject="s", **context),
                render_template("mail/account.html", subject="s", lang=language, **context),
            )

    compiled_translated = written()
    translated_when_rendered(monkeypatch)
    assert compiled_translated == written()
    text, html = compiled_translated
    assert ("如果这封邮件不是您申请的" in text) if language == "zh" else ("If you did not ask for this email" in text)
    assert "&lt;段落&gt;" in html and "<段落>" in text


def test_outside_a_request_with_no_language_forced_templates_are_compiled_as_written(app):
    with app.app_context():
        template = app.jinja_env.get_template("base.html")
    assert template.environment is app.jinja_env


# The extension alone, on an environment of its own, against `_()` as it runs at render time
# (a translation is trusted as markup there: "&" stays "&", as it always has).
SOURCES = {
    "page.html": '{{ _("Fish & chips") }}|{% set x = _("Home") %}{{ x ~ "<i>" }}|{{ _("Up 5%%") }}'
    '|{{ _("Hello %(name)s", name="<b>") }}|{{ _("Broken %(x)s") }}|{{ thing.gettext("Home") }}'
    '|{{ _("Home")|length }}|{{ _("Home") is string }}',
    "mail.txt": '{{ _("Fish & chips") }}|{{ _("Home") ~ "<i>" }}',
}
CATALOGUE = {"Fish & chips": "炸鱼 & 薯条", "Home": "首页", "Up 5%%": "涨 5%%", "Hello %(name)s": "你好 %(name)s"}


class Catalogue:
    def ugettext(self, string):
        return CATALOGUE.get(string, string)


class Thing:
    def gettext(self, string):
        return f"thing:{string}"


@pass_eval_context
def runtime_gettext(eval_context, string, **variables):
    translated = Catalogue().ugettext(string)
    if eval_context.autoescape:
        translated = Markup(translated)
    return translated % variables if variables or "%" in translated else translated


def environment(folded: bool) -> Environment:
    env = Environment(
        loader=DictLoader(SOURCES),
        autoescape=select_autoescape(["html"]),
        extensions=[TranslatedAsCompiled] if folded else [],
    )
    env.catalogue = Catalogue() if folded else None
    env.globals["_"] = runtime_gettext
    return env


@pytest.mark.parametrize("name", ["page.html", "mail.txt"])
def test_a_word_translated_as_compiled_reads_as_one_translated_as_shown(name):
    if name == "page.html":
        with pytest.raises(KeyError):  # a text that does not format fails as it did, when shown
            environment(False).get_template(name).render(thing=Thing())
        with pytest.raises(KeyError):
            environment(True).get_template(name).render(thing=Thing())
        sources = {name: SOURCES[name].replace('|{{ _("Broken %(x)s") }}', "")}
    else:
        sources = SOURCES
    rendered = []
    for folded in (True, False):
        env = environment(folded)
        env.loader = DictLoader(sources)
        rendered.append(env.get_template(name).render(thing=Thing()))
    assert rendered[0] == rendered[1]
    if name == "page.html":
        assert rendered[0] == "炸鱼 & 薯条|首页&lt;i&gt;|涨 5%|你好 &lt;b&gt;|thing:Home|2|True"
    else:
        assert rendered[0] == "炸鱼 & 薯条|首页<i>"


def test_only_plain_calls_are_folded():
    env = environment(True)
    code = env.compile(
        '{{ _("Home") }}{{ _("Hello %(name)s", name=n) }}{{ thing.gettext("Home") }}{{ ngettext("a", "b", 2) }}',
        raw=True,
    )
    assert "首页" in code
    assert code.count("'Hello %(name)s'") == 1  # left to run: it has a variable
    assert "'Home'" in code  # thing.gettext("Home") is not ours to translate
    assert "ngettext" in code
