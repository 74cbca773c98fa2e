"""The counter rows each event adds to, kept on append and rebuilt from the events by `flask ledger verify`.

Sums of money count only published amounts (`encoding.published_amount`): the figures are
computed from the public leaves and nothing else, so anyone holding them can recompute them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, select

from dealflow.evidence import counters
from dealflow.evidence.encoding import STARTUP_STEPS, published_amount
from dealflow.evidence.privacy import format_cents
from dealflow.extensions import db
from dealflow.models import Base, LedgerDay, LedgerRollup, LedgerSlice
from dealflow.money import whole_cents

DOMESTIC, FOREIGN = "domestic", "foreign"
DIMENSIONS = ("region", "hub", "origin", "sector")
ROLLUP_TABLES = ("ledger_rollup", "ledger_slice", "ledger_day")


def investor_origin(kind: str, is_foreign: bool) -> str:
    """The origin a rollup counts an event under: none for a startup step, else domestic or foreign."""
    if kind in STARTUP_STEPS:
        return ""
    return FOREIGN if is_foreign else DOMESTIC


def amount_cents(amount: Decimal | None) -> int:
    return whole_cents(amount)


@dataclass(frozen=True)
class RollupRows:
    """The counter rows one event adds to; the bench's bulk seeder builds them the same way."""

    rollup: dict[str, Any]
    slices: list[dict[str, Any]]
    day: dict[str, Any]


def rollup_rows(event: Any) -> RollupRows:
    """The rollup, slice and day rows (with this event's count and published cents) an event adds to."""
    month = counters.month_of(event.occurred_at)
    origin = investor_origin(event.kind, bool(event.is_foreign))
    published = published_amount(event)
    cents, disclosed = amount_cents(published), int(published is not None)
    region, sector = event.region_code or "", event.sector_code or ""
    values = {"region": region, "hub": "main" if event.is_main_hub else "other", "origin": origin, "sector": sector}
    return RollupRows(
        rollup={
            "month": month,
            "region_code": region,
            "is_main_hub": bool(event.is_main_hub),
            "kind": event.kind,
            "investor_origin": origin,
            "sector_code": sector,
            "event_count": 1,
            "amount_usd_cents": cents,
            "disclosed_count": disclosed,
        },
        slices=[
            {
                "month": month,
                "kind": event.kind,
                "dimension": dimension,
                "value": values[dimension],
                "event_count": 1,
                "amount_usd_cents": cents,
                "disclosed_count": disclosed,
            }
            for dimension in DIMENSIONS
        ],
        day={
            "day": counters.day_of(event.occurred_at),
            "kind": event.kind,
            "is_main_hub": bool(event.is_main_hub),
            "event_count": 1,
        },
    )


def count_event(event: Any) -> None:
    """Add one event to the rollup, slice and day rows, in the appending transaction."""
    rows = rollup_rows(event)
    counters.add_to(LedgerRollup, [rows.rollup], list(_COUNTED))
    counters.add_to(LedgerSlice, rows.slices, list(_COUNTED))
    counters.add_to(LedgerDay, [rows.day], ["event_count"])


def key_of(model: type[Base]) -> list[Any]:
    return list(cast(Table, model.__table__).primary_key.columns)


class Tally:
    """The rollup, slice and day rows that the events add up to, rebuilt while the chain is checked.

    The same rows as `rollup_rows` (what appends add to), keyed as the tables are, built without
    the dictionaries so that a million events add seconds, not minutes, to `flask ledger verify`.
    """

    def __init__(self) -> None:
        self.rows: dict[str, dict[tuple[Any, ...], list[int]]] = {name: {} for name in ROLLUP_TABLES}

    def add(self, event: Any) -> None:
        at = event.occurred_at.astimezone(UTC)
        month, kind, main = date(at.year, at.month, 1), event.kind, bool(event.is_main_hub)
        origin = investor_origin(kind, bool(event.is_foreign))
        region, sector = event.region_code or "", event.sector_code or ""
        published = published_amount(event)
        cents, disclosed = amount_cents(published), int(published is not None)
        rollup, slices, days = (self.rows[name] for name in ROLLUP_TABLES)
        for rows, key in (
            (rollup, (month, region, main, kind, origin, sector)),
            (slices, (month, kind, "region", region)),
            (slices, (month, kind, "hub", "main" if main else "other")),
            (slices, (month, kind, "origin", origin)),
            (slices, (month, kind, "sector", sector)),
        ):
            counted = rows.get(key)
            if counted is None:
                rows[key] = [1, cents, disclosed]
            else:
                counted[0] += 1
                counted[1] += cents
                counted[2] += disclosed
        day = (at.date(), kind, main)
        days[day] = [days[day][0] + 1] if day in days else [1]

    def compare(self) -> tuple[str, str, str] | None:
        """The first table row (in key order) that differs from what the events add up to, if any."""
        for table, model, counted in _ROLLUPS:
            key_columns = key_of(model)
            stored = {
                tuple(row[: len(key_columns)]): tuple(row[len(key_columns) :])
                for row in db.session.execute(select(*key_columns, *(getattr(model, c) for c in counted)))
            }
            rebuilt = {key: tuple(values) for key, values in self.rows[table].items()}
            zero = (0,) * len(counted)
            for key in sorted(set(stored) | set(rebuilt)):
                held, expected = stored.get(key, zero), rebuilt.get(key, zero)
                if held != expected:
                    row = ", ".join(f"{c.name} {_plain(v)}" for c, v in zip(key_columns, key, strict=True))
                    return table, row, _difference(held, expected)
        return None


_COUNTED = ("event_count", "amount_usd_cents", "disclosed_count")
_ROLLUPS: tuple[tuple[str, type[Base], tuple[str, ...]], ...] = (
    ("ledger_rollup", LedgerRollup, _COUNTED),
    ("ledger_slice", LedgerSlice, _COUNTED),
    ("ledger_day", LedgerDay, ("event_count",)),
)


def _plain(value: Any) -> str:
    return (
        value.isoformat()
        if hasattr(value, "isoformat")
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def _difference(held: Sequence[int], expected: Sequence[int]) -> str:
    """What a rollup row holds against what the events add up to, in words."""
    if held[:2] == expected[:2]:
        return f"it counts {held[2]} published amounts where the events have {expected[2]}"
    return f"it holds {_counted(held[:2])} where the events add up to {_counted(expected[:2])}"


def _counted(values: Sequence[int]) -> str:
    """A row's counters in words: "2 events" or "2 events and $150000.00"."""
    words = f"{values[0]} event{'' if values[0] == 1 else 's'}"
    return words if len(values) == 1 else f"{words} and ${format_cents(values[1])}"
