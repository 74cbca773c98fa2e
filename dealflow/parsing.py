"""Numbers from requests: a malformed one is refused or ignored, never an exception.

`str.isdigit()` accepts "²" and "٣", `int()` refuses the first and reads the second, and a number
of 30 digits overflows every database column: one rule here serves every query parameter and,
through `BoundedIntConverter`, every `<int:...>` in a route (an id above the INTEGER range is a
404). `FiniteDecimalField` does the same for amounts typed into forms, where "sNaN" would crash
WTForms' range check.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, overload

from werkzeug.routing import IntegerConverter, Map
from wtforms import DecimalField

LARGEST_ID = 2**31 - 1  # the largest INTEGER: every primary key is one, and PostgreSQL refuses a larger value
LARGEST_PAGE = 1_000_000  # far past the last page of any list, and its offset still fits in a BIGINT
# WTForms' own message for a malformed decimal, so WTForms' catalogs translate it as for any other.
NOT_A_DECIMAL = "Not a valid decimal value."
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")  # longer cannot be in bounds: do not even convert it


@overload
def parse_int(text: Any, *, minimum: int = ..., maximum: int = ..., default: int) -> int: ...
@overload
def parse_int(text: Any, *, minimum: int = ..., maximum: int = ..., default: None = ...) -> int | None: ...
def parse_int(text: Any, *, minimum: int = 0, maximum: int = LARGEST_ID, default: int | None = None) -> int | None:
    """The number written in ASCII digits, if it lies within [minimum, maximum]; else the default."""
    if not isinstance(text, str) or not _ASCII_DIGITS.fullmatch(text):
        return default
    value = int(text)
    return value if minimum <= value <= maximum else default


def parse_page(text: Any) -> int:
    """A page number from ?page=: 1 when missing, malformed or out of range."""
    return parse_int(text, minimum=1, maximum=LARGEST_PAGE, default=1)


class BoundedIntConverter(IntegerConverter):
    """Flask's `int` converter for ASCII digits only, up to the largest id: anything else is a 404, never a 500."""

    regex = r"[0-9]+"

    def __init__(
        self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=LARGEST_ID if max is None else max, signed=signed)
        if signed:
            self.regex = r"-?[0-9]+"


class FiniteDecimalField(DecimalField):
    """A DecimalField that refuses NaN and the infinities as not a number at all."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        number: Decimal | None = self.data  # type: ignore[has-type]  # WTForms sets it untyped
        if number is not None and not number.is_finite():
            self.data = None
            raise ValueError(self.gettext(NOT_A_DECIMAL))
