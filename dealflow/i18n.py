"""Choosing the language of a request: the user's setting, else a cookie, else the browser."""

from __future__ import annotations

from datetime import date, datetime

import flask_babel
from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response


def select_locale() -> str:
    """The language of this request, always one the site is translated into."""
    languages: tuple[str, ...] = current_app.config["LANGUAGES"]
    default: str = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    if current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    cookie = request.cookies.get(current_app.config["LANGUAGE_COOKIE_NAME"])
    if cookie in languages:
        return str(cookie)
    return request.accept_languages.best_match(languages) or default


ONE_YEAR = 365 * 24 * 3600


def remember_language(response: Response, language: str | None) -> Response:
    """Keep the chosen language in a cookie, or forget it so the browser's choice applies."""
    name = current_app.config["LANGUAGE_COOKIE_NAME"]
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    if language in current_app.config["LANGUAGES"]:
        response.set_cookie(name, str(language), max_age=ONE_YEAR, secure=secure, httponly=True, samesite="Lax")
    else:
        response.delete_cookie(name, secure=secure, httponly=True, samesite="Lax")
    return response


# How each language writes a day in running text and in tables. CLDR's Kazakh formats put the year first
# ("2026 ж. 01 жел."), which reads like a form field; people write the day first, as in Russian.
DATE_PATTERNS = {"en": "d MMMM y", "ru": "d MMMM y 'г'.", "kk": "d MMMM y 'ж'."}


def format_day(value: date | datetime | None, pattern: str | None = None) -> str:
    """A date as the page's language writes it: 1 December 2026, 1 декабря 2026 г., 1 желтоқсан 2026 ж.

    Times are shown as the day they fall on in the site's time zone; a pattern ("LLLL y") overrides the style.
    """
    if value is None:
        return ""
    locale = str(get_locale() or "en")
    return str(flask_babel.format_date(value, pattern or DATE_PATTERNS.get(locale, DATE_PATTERNS["en"])))
