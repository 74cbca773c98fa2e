"""Money: one rounding rule for every amount, to the cent and half up, as people and banks round.

The evidence ledger hashes amounts as two-decimal strings; amounts reach it already at cents, so
rounding them again changes nothing and no event's hash depends on the rule.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ROUNDING = ROUND_HALF_UP


def to_cents(amount: Decimal | int | str) -> Decimal:
    """The amount rounded to the cent, half up (0.125 is 0.13)."""
    return Decimal(amount).quantize(CENT, rounding=ROUNDING)


def whole_cents(amount: Decimal | int | str | None) -> int:
    """The amount as a whole number of cents (0 for none), for counters that add integers."""
    return 0 if amount is None else int(to_cents(amount) * 100)
