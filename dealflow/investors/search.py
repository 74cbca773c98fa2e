"""One full-text search interface, two engines: SQLite FTS5 here, PostgreSQL tsvector in production.

Words are matched by prefix ("фермер" finds "фермеров"), which serves Kazakh and Russian
word endings as well as English without a stemmer for each language.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Float, Integer, Select, column, func, literal_column, select, table
from sqlalchemy.sql.elements import ColumnElement

from dealflow.models import Startup

MAX_TERMS = 8
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


def _fts_expression(words: list[str]) -> str:
    return " AND ".join(f'"{word}"*' for word in words)


def _tsquery(words: list[str]) -> ColumnElement[Any]:
    return func.to_tsquery("simple", " & ".join(f"{word}:*" for word in words))


def condition(dialect: str, text: str) -> ColumnElement[bool] | None:
    """A WHERE condition on startup: name, tagline or description hold every word (prefix-matched).

    On SQLite it is an IN over the FTS5 table, so the index drives the search instead of a join that
    the planner might run once per startup row.
    """
    words = terms(text)
    if not words:
        return None
    if dialect == "sqlite":
        matches = select(_fts.c.rowid).where(literal_column("startup_fts").op("MATCH")(_fts_expression(words)))
        return Startup.id.in_(matches)
    return _search_vector.op("@@")(_tsquery(words))


def ranked(dialect: str, text: str) -> tuple[Select[int, float] | None, ColumnElement[float] | None]:
    """How to order by relevance: a (startup id, relevance) subquery to join on SQLite, a column on PostgreSQL."""
    words = terms(text)
    if not words:
        return None, None
    if dialect == "sqlite":
        # bm25 ranks better matches lower; negate it so that higher is better on both engines.
        rank = -func.bm25(literal_column("startup_fts"), 10.0, 5.0, 1.0)
        subquery = select(_fts.c.rowid.label("id"), rank.label("relevance")).where(
            literal_column("startup_fts").op("MATCH")(_fts_expression(words))
        )
        return subquery, None
    return None, func.ts_rank(_search_vector, _tsquery(words))
