"""Founders' and hubs' own words in the visitor's language: their version where they gave one, else the original."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

OTHER_LANGUAGES = ("ru", "kk")  # the original text is in whichever language its author wrote it
TRANSLATABLE = ("tagline", "description")


def in_language(item: Any, field: str, locale: str) -> str | None:
    """The field of a startup, profile or result row in the given language, the original when not translated."""
    if locale in OTHER_LANGUAGES:
        version = getattr(item, f"{field}_{locale}", None)
        if version:
            return str(version)
    original = getattr(item, field)
    return str(original) if original else None


def language_in(item: Any, field: str, locale: str) -> str | None:
    """The language in_language() gives the field in: the visitor's for a version, the original's otherwise."""
    if locale in OTHER_LANGUAGES and getattr(item, f"{field}_{locale}", None):
        return locale
    return getattr(item, "content_language", None)


def lang_attribute(item: Any, field: str, locale: str) -> Markup:
    """` lang="kk"` for an element holding the field when its text is not in the page's language, else nothing."""
    language = language_in(item, field, locale)
    return Markup(f' lang="{escape(language)}"') if language and language != locale else Markup("")  # noqa: S704
