"""Kazakhstan's Business Identification Number (BIN): 12 digits, the last a check digit."""

from __future__ import annotations

import re

FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
BIN_RE = re.compile(r"[0-9]{12}")


def check_digit(first_eleven: str) -> int | None:
    """The check digit of 11 digits, or None where no digit can be valid."""
    digits = [int(c) for c in first_eleven]
    for weights in (FIRST_WEIGHTS, SECOND_WEIGHTS):
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def is_valid_bin(value: str) -> bool:
    """True for 12 digits whose last digit is the check digit of the first eleven."""
    if not BIN_RE.fullmatch(value):  # ASCII digits: str.isdigit() also takes "²", which int() refuses
        return False
    return check_digit(value[:11]) == int(value[11])
