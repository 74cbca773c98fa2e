"""Every catalog speaks the glossary: one word per domain term in each language, never the English one in ru/kk."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import force_locale

from dealflow.labels import INSTRUMENT_LABELS
from dealflow.models import Instrument
from dealflow.reference.data import SECTORS, STAGES

TRANSLATIONS = Path(__file__).resolve().parent.parent / "dealflow" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")


@dataclass(frozen=True)
class Term:
    en: re.Pattern[str]
    stems: dict[str, re.Pattern[str]]
    written: dict[str, str]
    other_senses: frozenset[str]


def glossary() -> list[Term]:
    data = tomllib.loads((TRANSLATIONS / "glossary.toml").read_text(encoding="utf-8"))
    return [
        Term(
            en=re.compile(rf"(?<![\w-])(?:{t['en']})(?![\w-])", re.IGNORECASE),
            stems={lang: re.compile(t[f"{lang}_stem"], re.IGNORECASE) for lang in ("ru", "kk")},
            written={lang: t[lang] for lang in ("ru", "kk")},
            other_senses=frozenset(t.get("other_senses", ())),
        )
        for t in data["term"]
    ]


def messages(language: str) -> list[tuple[str, str]]:
    """(English, translation) pairs of a catalog, plural forms joined, placeholders removed."""
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        catalog = read_po(file)
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]  # the singular names it
        translated = message.string if isinstance(message.string, str) else " ".join(message.string)
        pairs.append((english, PLACEHOLDER.sub(" ", translated)))
    return pairs


def reference_names() -> list[tuple[str, dict[str, str]]]:
    """Stage and sector names from the project's own table, which the catalogs do not hold."""
    return [(row.name_en, {"ru": row.name_ru, "kk": row.name_kk}) for row in (*STAGES, *SECTORS)]


def test_the_glossary_has_every_term_the_issue_names() -> None:
    english = " ".join(t.en.pattern for t in glossary())
    for term in ("term sheet", "due diligence", "mail", "pre-seed", "seed", "MVP", "SAFE", "markdown"):
        assert term.lower() in english.lower(), term
    for term in ("intro", "match", "deck", "ticket", "round"):
        assert term in english, term


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_no_english_domain_term_is_left_in_a_translation(language: str) -> None:
    left = [
        (english, translated)
        for english, translated in messages(language)
        for term in glossary()
        if term.en.search(translated)
    ]
    left += [
        (english, names[language])
        for english, names in reference_names()
        for term in glossary()
        if term.en.search(names[language])
    ]
    assert left == []


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_where_english_uses_a_term_the_translation_uses_the_glossarys(language: str) -> None:
    pairs = messages(language) + [(english, names[language]) for english, names in reference_names()]
    wrong = []
    for english, translated in pairs:
        text = PLACEHOLDER.sub(" ", english)
        for term in glossary():
            if english in term.other_senses or not term.en.search(text):
                continue
            if not term.stems[language].search(translated):
                wrong.append((english, translated, term.written[language]))
    assert wrong == []


def test_stage_and_instrument_names_follow_the_glossary(app: Flask) -> None:
    stages = {row.code: row for row in STAGES}
    assert (stages["mvp"].name_ru, stages["mvp"].name_kk) == ("Минимальный продукт", "Минималды өнім")
    assert stages["pre_seed"].name_ru == "Предпосевная стадия"
    assert stages["seed"].name_kk == "Бастапқы кезең"
    with app.test_request_context(), force_locale("ru"):
        assert str(INSTRUMENT_LABELS[Instrument.SAFE]) == "Соглашение о будущей доле"
    with app.test_request_context(), force_locale("kk"):
        assert str(INSTRUMENT_LABELS[Instrument.SAFE]) == "Болашақ үлес туралы келісім"
