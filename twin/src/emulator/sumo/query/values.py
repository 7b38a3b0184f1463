"""Value conversions shared by operators: fields are strings until `num` (or an aggregate) reads them as numbers."""

from __future__ import annotations

import math

Number = int | float


def tidy_number(value: float) -> Number:
    """An integral float as an int (3412.0 -> 3412), so results read like Sumo's rather than like Python's."""
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def to_number(value: object) -> Number | None:
    """`value` as a number, or None when it is null, not numeric, or not finite (Sumo's num() yields null there)."""
    if isinstance(value, str):  # first: fields are text until converted
        if value.isdigit() and value.isascii():  # the usual case (a parsed millisecond count) needs no float
            return int(value)
        return _text_to_number(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return tidy_number(value) if math.isfinite(value) else None
    return None


def _text_to_number(value: str) -> Number | None:
    """Text in decimal or float notation (blanks around it allowed, `_` separators not) as a number, else None."""
    text = value.strip()
    if not text or "_" in text:
        return None
    try:
        parsed = float(text)
    except ValueError:
        return None
    return tidy_number(parsed) if math.isfinite(parsed) else None


def to_text(value: object) -> str | None:
    """`value` as the string Sumo would show for it (numbers without a trailing .0), None for null."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(tidy_number(value))
    return str(value)
