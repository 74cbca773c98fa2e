"""A tile map of Kazakhstan's 20 regions: each region a labelled square, placed roughly where it lies.

Boundary data is not shipped (nothing is fetched from elsewhere), so the map is a grid of
8 columns (west to east) and 5 rows (north to south), coloured in six steps by value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dealflow.evidence.privacy import Shown, is_suppressed
from dealflow.evidence.queries import Figures

# region code: (row, column), north to south and west to east
TILE_POSITIONS: dict[str, tuple[int, int]] = {
    "KZ-39": (1, 3),  # Kostanay
    "KZ-59": (1, 5),  # North Kazakhstan
    "KZ-55": (1, 7),  # Pavlodar
    "KZ-27": (2, 1),  # West Kazakhstan
    "KZ-15": (2, 2),  # Aktobe
    "KZ-11": (2, 4),  # Akmola
    "KZ-71": (2, 5),  # Astana
    "KZ-10": (2, 7),  # Abai
    "KZ-63": (2, 8),  # East Kazakhstan
    "KZ-23": (3, 1),  # Atyrau
    "KZ-62": (3, 4),  # Ulytau
    "KZ-35": (3, 5),  # Karaganda
    "KZ-33": (3, 7),  # Zhetisu
    "KZ-47": (4, 1),  # Mangystau
    "KZ-43": (4, 3),  # Kyzylorda
    "KZ-61": (4, 4),  # Turkistan
    "KZ-19": (4, 6),  # Almaty Region
    "KZ-79": (5, 4),  # Shymkent
    "KZ-31": (5, 5),  # Zhambyl
    "KZ-75": (5, 6),  # Almaty
}
STEPS = 5

# A tile is narrow, so it shows a short name (the full one is its tooltip and in the table):
# the word for "region" goes, the three "… Kazakhstan" regions take their usual abbreviations, and
# Almaty Region keeps a short "region" so that it is not read as the city.
GENERIC_WORDS = (" Region", " область", " облысы", "Область ")
SHORT_NAMES: dict[str, dict[str, str]] = {
    "en": {"KZ-19": "Almaty Reg."},
    "ru": {"KZ-27": "ЗКО", "KZ-59": "СКО", "KZ-63": "ВКО"},
    "kk": {"KZ-19": "Алматы обл.", "KZ-27": "БҚО", "KZ-59": "СҚО", "KZ-63": "ШҚО"},
}


def short_region_name(code: str, full_name: str, locale: str) -> str:
    """The name a tile shows: no generic word, and an abbreviation where even that is too long for a tile."""
    short = SHORT_NAMES.get(locale, {}).get(code)
    if short:
        return short
    for word in GENERIC_WORDS:
        full_name = full_name.replace(word, "")
    return full_name.strip()


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    row: int
    column: int
    value: Shown
    step: int
    label: str = ""  # the short name shown on the tile


def colour_step(value: Shown, largest: int) -> int:
    """0 for none, 1 for a hidden count ("<3" or "x", so colour gives nothing away), 2–5 by share of the largest."""
    if value == 0:
        return 0
    if isinstance(value, str) or is_suppressed(value) or largest == 0:
        return 1
    return min(STEPS, 1 + math.ceil((STEPS - 1) * value / largest))


def tile_map(regions: Sequence[Figures], name_of: Callable[[str], str], locale: str = "en") -> list[Tile]:
    """One tile per region with its matches in the period as published, in reading order for screen readers."""
    placed = [(r.key, r.shown["matched"]) for r in regions if r.key in TILE_POSITIONS]
    largest = max((v for _key, v in placed if isinstance(v, int)), default=0)
    tiles = [
        Tile(
            key,
            name_of(key),
            *TILE_POSITIONS[key],
            value,
            colour_step(value, largest),
            short_region_name(key, name_of(key), locale),
        )
        for key, value in placed
    ]
    return sorted(tiles, key=lambda t: (t.row, t.column))
