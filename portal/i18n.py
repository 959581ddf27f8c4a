"""Which language a page is in: the language asked for in the address (`?lang=en`, so a link to
the English page can be shared), then the person's choice (account, then cookie), else the
browser's Accept-Language, else Simplified Chinese. A language asked for in the address is
remembered as the switcher remembers it."""

import functools
from datetime import UTC, datetime

import flask_babel
from babel import dates
from flask import Flask, current_app, g, has_app_context, request
from flask.templating import Environment
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from markupsafe import Markup

from portal.extensions import babel, db

LANGUAGE_COOKIE = "lang"
LANGUAGE_PARAMETER = "lang"
LANGUAGE_NAMES = {"zh": "简体中文", "en": "English"}
ONE_YEAR = 365 * 24 * 3600


def languages() -> list[str]:
    return current_app.config["PORTAL_LANGUAGES"]


def language_named(value: str | None, available) -> str | None:
    """The portal's language that `value` names: one of `available` as it is ("zh", "en"), or a
    language tag whose language is one of them, in any case and with - or _ ("zh-CN", "zh_Hans",
    "EN-gb": what the page's own lang attribute says, and what other sites write in links);
    None for anything else. No request needed (the page cache asks before the app runs)."""
    if not value:
        return None
    if value in available:
        return value
    primary = value.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in available else None


def language_in_address() -> str | None:
    """`?lang=zh` or `?lang=en` (or `?lang=zh-CN`, language_named) on any page; any other value
    is ignored (it is not an error: an old or mistyped link still shows the page)."""
    return language_named(request.args.get(LANGUAGE_PARAMETER), languages())


def select_locale() -> str:
    available = languages()
    asked = language_in_address()
    if asked:
        return asked
    if current_user and current_user.is_authenticated and current_user.language in available:
        return current_user.language
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in available:
        return chosen
    return request.accept_languages.best_match(available) or current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_language(language: str) -> None:
    """What choosing a language does for an account, from the switcher or from `?lang=`: the
    account keeps it, on every device (the caller commits). Nothing is written when it is the
    account's language already."""
    if current_user.is_authenticated and current_user.language != language:
        current_user.language = language  # the account's own setting
        db.session.flush()


def remember_language_cookie(response, language: str) -> None:
    """And for the browser: a cookie for a year (the language is not kept in the session)."""
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=ONE_YEAR,
        samesite="Lax",
        secure=current_app.config["PORTAL_HTTPS"],
        httponly=True,
    )


def _opened_as_a_page() -> bool:
    """Whether the browser opened this address as a page (a link followed, an address typed),
    not fetched it for another site's <img> or script: only then is a language asked for in the
    address remembered, so that another site cannot change someone's saved language by
    embedding /?lang=en. Browsers that do not send Sec-Fetch-Dest are taken at their word."""
    return request.headers.get("Sec-Fetch-Dest", "document") == "document"


# Each language's catalogue, loaded once per process by Flask-Babel and kept here by locale.
_catalogues: dict[tuple, object] = {}


class QuickDomain(flask_babel.Domain):
    """Flask-Babel's message domain, whose catalogue is found with one look at the request's
    context. Flask-Babel's own lookup, for each string of a page, goes through Flask's context
    proxies nine times (about 40 % of its time in werkzeug.local, bench/profile_page.py): the
    locale it settled on for this request (or the one forced for a mail) is read once here.
    Installed as the application's domain (register()), so Python's gettext and lazy strings
    (form labels, the labels of states and stances) take this way as the templates' _() does."""

    def get_translations(self):
        try:
            babel_context = g.__dict__.get("_flask_babel")
        except RuntimeError:  # no application context: Flask-Babel answers (untranslated)
            return super().get_translations()
        locale = getattr(babel_context, "babel_locale", None)
        if locale is None:  # the first string of the request: Flask-Babel chooses the language
            return super().get_translations()
        key = (locale.language, locale.territory, locale.script, locale.variant)
        catalogue = _catalogues.get(key)
        if catalogue is None:
            catalogue = _catalogues[key] = super().get_translations()
        return catalogue


def translations():
    """The catalogue of the page's language (QuickDomain.get_translations)."""
    return babel.domain_instance.get_translations()


def _babel_context():
    """Flask-Babel's namespace for this request (where it keeps the locale and time zone it
    chose, or the locale forced for a mail), with one look at `g`; None outside a context."""
    try:
        return g.__dict__.get("_flask_babel")
    except RuntimeError:
        return None


def _locale_and_timezone(context):
    """The request's locale and time zone, each chosen once per request by Flask-Babel (its
    selectors) and read from its namespace afterwards."""
    locale = getattr(context, "babel_locale", None)
    if locale is None:
        locale = flask_babel.get_locale()
    tzinfo = getattr(context, "babel_tzinfo", None)
    if tzinfo is None:
        tzinfo = flask_babel.get_timezone()
    return locale, tzinfo


def locale_and_timezone():
    """The locale and the time zone this page is written in (what its words and its times follow)."""
    return _locale_and_timezone(_babel_context())


_languages_of_locales: dict = {}


def page_language() -> str:
    """The page's language, "zh" or "en" (the locale Flask-Babel chose for this request, or the
    one forced for a mail): templates ask a dozen times a page, each a look at `g`."""
    locale = getattr(_babel_context(), "babel_locale", None)
    if locale is None:
        locale = flask_babel.get_locale()
    language = _languages_of_locales.get(locale)
    if language is None:
        language = _languages_of_locales[locale] = str(locale or "zh")[:2]
    return language


def _pattern(kind: str, format: str | None) -> str | None:
    """The format Flask-Babel would use (its `date_formats` defaults and overrides)."""
    formats = babel.date_formats
    if format is None:
        format = formats[kind]
    if format in ("short", "medium", "full", "long"):
        format = formats[f"{kind}.{format}"] or format
    return format


# datetimeformat('minutes'): a moment people read (saved, sent, logged in), without the seconds
# of 'medium' ("2026年12月5日 21:43", "Dec 5, 2026, 9:43 PM").
TO_THE_MINUTE = "minutes"


@functools.lru_cache(maxsize=4096)
def _formatted(kind: str, value, value_type: type, format: str, locale, tzinfo) -> str:
    # Dates and moments are immutable: the same one in the same language and zone always reads
    # the same, so pages that show the same dates again format them once.
    if kind == "date":
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            value = tzinfo.normalize(value.astimezone(tzinfo))
        return dates.format_date(value, format, locale=locale)
    if format == TO_THE_MINUTE:  # the medium date and the short time, as the language joins them
        format = (
            locale.datetime_formats["medium"]
            .replace("{1}", locale.date_formats["medium"].pattern)
            .replace("{0}", locale.time_formats["short"].pattern)
        )
    formatter = dates.format_datetime if kind == "datetime" else dates.format_time
    return formatter(value, format, tzinfo=tzinfo, locale=locale)


def _formatter(kind: str, babel_formatter):
    def format_value(value=None, format=None, rebase=True):
        context = _babel_context()
        if value is None or not rebase or (context is None and format != TO_THE_MINUTE):
            return babel_formatter(value, format, rebase)  # "now", or unusual: Flask-Babel's way
        if context is None:  # a format of ours, which Flask-Babel does not know
            locale, tzinfo = flask_babel.get_locale(), flask_babel.get_timezone()
        else:
            locale, tzinfo = _locale_and_timezone(context)
        return _formatted(kind, value, type(value), _pattern(kind, format), locale, tzinfo)

    format_value.__name__ = f"format_{kind}"
    format_value.__doc__ = (
        f"Flask-Babel's format_{kind}, the same text, without its lookups of the locale, the time "
        "zone and the formats through Flask's context proxies at each call (a page formats dozens)."
    )
    return format_value


format_date = _formatter("date", flask_babel.format_date)
format_datetime = _formatter("datetime", flask_babel.format_datetime)
format_time = _formatter("time", flask_babel.format_time)


def _install_quick_gettext(app: Flask) -> None:
    """Templates' _(), ngettext(), pgettext() through `translations()` (Flask-Babel installed
    its own in babel.init_app; these replace them, with the same behaviour)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )

    # `_()` and `gettext()` themselves, in one call rather than Jinja's three nested ones (the
    # alias, the new-style wrapper, the lookup), each of which inspects the function it calls.
    # The same behaviour as Jinja's new-style gettext: escaped in HTML, always %-formatted.
    @pass_eval_context
    def gettext(eval_context, string, **variables):
        translated = translations().ugettext(string)
        if eval_context.autoescape:
            translated = Markup(translated)
        # Formatted only when there is something to format ("%%" still becomes "%").
        return translated % variables if variables or "%" in translated else translated

    app.jinja_env.globals.update(_=gettext, gettext=gettext)


class TranslatedAsCompiled(Extension):
    """Each `_("...")` or `gettext("...")` of a template whose text is a plain literal is
    translated when the template is compiled, not each time it is rendered: a page's fixed words
    become part of its fixed text (Jinja joins them with the markup around them), where they were
    a function call each (about fifty a page, bench/profile_page.py). For the environments of
    TranslatingEnvironment only, each of which compiles the templates in one language.

    The same text as the call gave: the catalogue is the one `_()` would read (the environment's),
    Markup in templates that escape (so `|safe` on the constant, which Jinja folds), plain text in
    the others (mails' text parts), and "%%" read as "%" (new-style gettext formats always). A
    call with variables, of ngettext or pgettext, or whose text would not format, is left to run."""

    def filter_stream(self, stream):
        catalogue = self.environment.catalogue
        if catalogue is None:
            return stream
        autoescape = self.environment.autoescape
        escaping = autoescape(stream.name) if callable(autoescape) else autoescape
        tokens = list(stream)
        folded: list[Token] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if (
                token.type == "name"
                and token.value in ("_", "gettext")
                and i + 3 < len(tokens)
                and tokens[i + 1].type == "lparen"
                and tokens[i + 2].type == "string"
                and tokens[i + 3].type == "rparen"
                and not (folded and folded[-1].type == "dot")  # something.gettext("..."): not ours
            ):
                translated = catalogue.ugettext(tokens[i + 2].value)
                try:
                    translated = translated % {} if "%" in translated else translated
                except (KeyError, TypeError, ValueError):
                    translated = None  # as at run time: the call raises there, and says where
                if translated is not None:
                    folded.append(Token(token.lineno, "string", translated))
                    if escaping:
                        folded += [Token(token.lineno, "pipe", "|"), Token(token.lineno, "name", "safe")]
                    i += 4
                    continue
            folded.append(token)
            i += 1
        return TokenStream(iter(folded), stream.name, stream.filename)


class TranslatingEnvironment(Environment):
    """The application's Jinja environment, which hands each template out compiled in the
    language of the page being built (TranslatedAsCompiled): one overlay per locale, sharing the
    loader, globals, filters and settings, each with its own compiled templates. The locale is the
    one `_()` would translate into at that moment (the request's, or the one forced for a mail),
    and the overlay folds with its catalogue, so a template and everything it extends, includes or
    imports read as they would have, call by call. By locale, not by catalogue object:
    Flask-Babel loads a locale's catalogue again when its domain is replaced (an application made
    after another in the same process, as tests do), the same words each time. Outside an
    application context, or with no request to choose a language from and none forced, templates
    are compiled as they are and translated as they are rendered."""

    catalogue = None  # set on the overlays
    MAX_LANGUAGES = 8  # a bound on the overlays (the portal has two languages)

    def _in_page_language(self) -> "Environment":
        if self.catalogue is not None or not has_app_context():
            return self
        try:
            locale = str(flask_babel.get_locale())  # the request's, or the one forced for a mail
        except RuntimeError:  # no request to choose a language from, and none forced: as it is
            return self
        overlays = self.__dict__.setdefault("_overlays", {})
        overlay = overlays.get(locale)
        if overlay is None:
            if len(overlays) >= self.MAX_LANGUAGES:
                return self
            overlay = self.overlay(extensions=[TranslatedAsCompiled])
            overlay.catalogue = translations()
            overlay._overlays = None
            overlays[locale] = overlay
        return overlay

    def get_template(self, name, parent=None, globals=None):
        environment = self._in_page_language()
        if environment is self:
            return super().get_template(name, parent, globals)
        return environment.get_template(name, parent, globals)

    def select_template(self, names, parent=None, globals=None):
        environment = self._in_page_language()
        if environment is self:
            return super().select_template(names, parent, globals)
        return environment.select_template(names, parent, globals)


def register(app: Flask) -> None:
    """`?lang=` on any page is remembered as the switcher remembers it; templates translate
    through `translations()`."""
    # Flask-Babel's domain_instance is a cached property of the extension: set once, it is ours.
    babel.domain_instance = QuickDomain(domain=app.extensions["babel"].default_domain)
    _install_quick_gettext(app)
    app.jinja_env.filters.update(dateformat=format_date, datetimeformat=format_datetime, timeformat=format_time)

    @app.before_request
    def _remember_language_in_address_on_the_account():
        # Before the view, in a transaction of its own: the view then commits (or rolls back)
        # only its own work.
        asked = language_in_address()
        if asked and current_user.is_authenticated and current_user.language != asked and _opened_as_a_page():
            remember_language(asked)
            db.session.commit()

    @app.after_request
    def _remember_language_in_address_in_a_cookie(response):
        # Sent only when it changes: a page does not carry a Set-Cookie it does not need.
        asked = language_in_address() if request.endpoint != "static" else None
        if asked and request.cookies.get(LANGUAGE_COOKIE) != asked and _opened_as_a_page():
            remember_language_cookie(response, asked)
        return response
