"""Countries of the world (ISO 3166-1) named in the page's language, from pycountry's catalogs."""

from __future__ import annotations

import gettext
from functools import lru_cache

import pycountry


@lru_cache(maxsize=8)
def _translator(locale: str) -> gettext.NullTranslations:
    if locale == "en":
        return gettext.NullTranslations()
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale], fallback=True)


@lru_cache(maxsize=8)
def country_names(locale: str) -> dict[str, str]:
    """Alpha-2 code → name in the given language, sorted by name."""
    translate = _translator(locale).gettext
    names = {c.alpha_2: translate(c.name) for c in pycountry.countries}
    return dict(sorted(names.items(), key=lambda item: item[1]))


def country_name(code: str, locale: str) -> str:
    """The country's name in the given language; the code itself when unknown."""
    return country_names(locale).get(code, code)


def is_country(code: str) -> bool:
    return code in country_names("en")
