"""One full-text search interface, two engines: SQLite FTS5 here, PostgreSQL tsvector in production.

Words are matched by prefix ("фермер" finds "фермеров"), which serves Kazakh and Russian
word endings as well as English without a stemmer for each language.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Float, Integer, Select, case, column, func, literal_column, select, table
from sqlalchemy.sql.elements import ColumnElement

from dealflow.models import Startup

MAX_TERMS = 8
TAGLINE_COLUMNS = "tagline tagline_ru tagline_kk"  # an FTS5 column filter over the three versions
WORD = re.compile(r"\w+", re.UNICODE)

_fts = table("startup_fts", column("rowid", Integer), column("rank", Float))
_search_vector: ColumnElement[Any] = literal_column("startup.search_vector")


# Endings stripped before a prefix search, longest first, so that one form of a word finds the others:
# Russian case endings, Kazakh plural and case suffixes (with their vowel harmony), English plurals.
ENDINGS = sorted(
    {
        "ами", "ями", "ого", "его", "ому", "ему", "ов", "ев", "ей", "ах", "ях", "ам", "ям", "ом", "ем",
        "ой", "ый", "ий", "ая", "яя", "ое", "ее", "ые", "ие", "ых", "их", "ы", "и", "а", "я", "е", "у", "ю", "о",
        "лар", "лер", "дар", "дер", "тар", "тер", "ның", "нің", "дың", "дің", "тың", "тің",
        "ға", "ге", "қа", "ке", "да", "де", "та", "те", "ын", "ін", "і",
        "ing", "ers", "es", "s",
    },
    key=len,
    reverse=True,
)  # fmt: skip
ALTERNATING_FINALS = "қкғгпб"  # Kazakh: қ/к become ғ/г, п becomes б, before a vowel


def stem(word: str) -> str:
    """A light stem: the word without one common ending and a final consonant that alternates."""
    for ending in ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            word = word[: -len(ending)]
            break
    if len(word) > 4 and word[-1] in ALTERNATING_FINALS:
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The searchable stems of a query: letters and digits only, lower case, at most eight."""
    return [stem(word.lower()) for word in WORD.findall(text)][:MAX_TERMS]


def _fts_expression(words: list[str], column: str | None = None) -> str:
    expression = " AND ".join(f'"{word}"*' for word in words)
    return f"{{{column}}} : ({expression})" if column else expression


def _fts_rowids(words: list[str], column: str | None = None) -> Select[tuple[int]]:
    return select(_fts.c.rowid).where(literal_column("startup_fts").op("MATCH")(_fts_expression(words, column)))


def _tsquery(words: list[str]) -> ColumnElement[Any]:
    return func.to_tsquery("simple", " & ".join(f"{word}:*" for word in words))


def condition(dialect: str, text: str, *, indexed_filters: bool = False) -> ColumnElement[bool] | None:
    """A WHERE condition on startup: the name, a tagline or a description (any language) hold every word.

    On SQLite it is an IN over the FTS5 table. When a region, sector or stage filter is there too, the
    unary plus keeps SQLite from driving the query by the match list (a common word matches a fifth of
    all startups): the filter's partial index drives and the matches are only probed.
    """
    words = terms(text)
    if not words:
        return None
    if dialect == "sqlite":
        matches = _fts_rowids(words)
        return literal_column("+startup.id").in_(matches) if indexed_filters else Startup.id.in_(matches)
    return _search_vector.op("@@")(_tsquery(words))


def relevance(dialect: str, text: str) -> ColumnElement[float] | None:
    """A score to sort by, higher first: PostgreSQL's ts_rank (name above tagline above description);
    on SQLite, whether the name, then a tagline (any language), hold the words — read from the index in two lookups
    rather than scoring every match, which for a common word would mean tens of thousands of rows.
    """
    words = terms(text)
    if not words:
        return None
    if dialect == "sqlite":
        in_name = case((Startup.id.in_(_fts_rowids(words, "name")), 2), else_=0)
        in_tagline = case((Startup.id.in_(_fts_rowids(words, TAGLINE_COLUMNS)), 1), else_=0)
        return in_name + in_tagline
    return func.ts_rank(_search_vector, _tsquery(words))
