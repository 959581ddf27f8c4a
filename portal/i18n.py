"""Which language a page is in: the person's choice (account, then cookie), else the browser's
Accept-Language, else Simplified Chinese."""

from flask import current_app, request
from flask_login import current_user

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"zh": "简体中文", "en": "English"}


def languages() -> list[str]:
    return current_app.config["PORTAL_LANGUAGES"]


def select_locale() -> str:
    available = languages()
    if current_user and current_user.is_authenticated and current_user.language in available:
        return current_user.language
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in available:
        return chosen
    return request.accept_languages.best_match(available) or current_app.config["BABEL_DEFAULT_LOCALE"]
