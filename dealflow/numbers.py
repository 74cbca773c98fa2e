"""How the pages write amounts: digits grouped the way each language groups them."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale

GROUP_SEPARATORS = {"en": ",", "ru": "\u00a0", "kk": "\u00a0"}


def format_money(amount: Any, currency: Any = "USD") -> str:
    """A whole amount with its sign, digits grouped the page's way: $480,000 or 78 000 000 ₸.

    Written out rather than through Babel: a results page formats dozens of amounts.
    """
    if amount is None:
        return ""
    separator = GROUP_SEPARATORS.get(str(get_locale()), ",")
    number = f"{round(amount):,}".replace(",", separator)
    return f"{number} ₸" if str(currency) == "KZT" else f"${number}"


def format_usd(amount: Any) -> str:
    """A whole-dollar amount in the page's number format."""
    return format_money(amount, "USD")
