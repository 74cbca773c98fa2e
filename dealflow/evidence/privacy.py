"""Small-count suppression, shared by the public dashboard and the open-data aggregates.

A count of 1 or 2 could point at one founder or one investor, so it is shown as "<3"; zero
and counts of 3 or more are shown as they are. Sums of money follow their count: the sum of
one or two investments would give their amounts away.
"""

from __future__ import annotations

MIN_SHOWN = 3
SUPPRESSED = "<3"


def is_suppressed(count: int) -> bool:
    """Whether the count is small enough to identify someone."""
    return 0 < count < MIN_SHOWN


def shown_count(count: int) -> int | str:
    """The count as it may be published: the number itself, or "<3"."""
    return SUPPRESSED if is_suppressed(count) else count


def shown_amount(count: int, cents: int) -> str | None:
    """A sum of money in dollars with cents as it may be published; None where its count is suppressed."""
    if is_suppressed(count):
        return None
    return f"{cents // 100}.{cents % 100:02d}"


def shown_share(part: int, whole: int) -> int | None:
    """A whole-number percentage, or None when the part or the rest could single someone out.

    Publishing a share together with the total would let anyone work out both of its parts,
    so the share is shown only when neither the part nor the remainder is suppressed.
    """
    if whole == 0 or is_suppressed(part) or is_suppressed(whole - part):
        return None
    return round(100 * part / whole)
