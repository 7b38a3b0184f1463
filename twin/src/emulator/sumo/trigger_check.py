"""A static trigger's condition over a query's result rows: the threshold comparisons, and whether the condition
holds for any row (an alert trigger) or for every row (a resolution trigger), with the value that decided it.

The value reported is the row value that decides the verdict, so it reads the same in a webhook, the twin's
alerts and a backtest. Any row (alert): the most extreme value in the condition's direction, the largest for
GreaterThan/GreaterThanOrEqual and the smallest for LessThan/LessThanOrEqual; the condition holds for some row
exactly when it holds for that value. Every row (resolution): the least extreme value in that direction (the row
furthest from resolving); the condition holds for every row exactly when it holds for that value. Without a
`field` the value is the number of result rows. Field names match case-insensitively, as in Sumo.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.sumo.query.values import Number, to_number

THRESHOLD_TYPES = ("GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual")
DEFAULT_THRESHOLD_TYPE = "GreaterThanOrEqual"
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "GreaterThan": operator.gt,
    "GreaterThanOrEqual": operator.ge,
    "LessThan": operator.lt,
    "LessThanOrEqual": operator.le,
}
_WORDING = {
    "GreaterThan": "Greater than",
    "GreaterThanOrEqual": "Greater than or equal to",
    "LessThan": "Less than",
    "LessThanOrEqual": "Less than or equal to",
}


@dataclass(frozen=True)
class TriggerVerdict:
    """Whether a condition holds, the value that decided it (None: no numeric field value), and whether any row
    has the trigger's field at all (always True without a field)."""

    holds: bool
    value: Number | None
    field_found: bool = True


def compares(threshold_type: str, value: Number, threshold: Number) -> bool:
    """`value` against `threshold` by a thresholdType (GreaterThan, ...)."""
    return _COMPARISONS[threshold_type](value, threshold)


def condition_wording(threshold_type: str) -> str:
    """How {{TriggerCondition}} names a thresholdType: "Greater than or equal to"."""
    return _WORDING[threshold_type]


def field_values(rows: Sequence[dict[str, Any]], field: str) -> tuple[list[Number], bool]:
    """The numeric values of `field` in `rows` (matched case-insensitively; the first matching key of a row), and
    whether any row has the field."""
    wanted = field.lower()
    values: list[Number] = []
    found = False
    for row in rows:
        key = next((key for key in row if key.lower() == wanted), None)
        if key is None:
            continue
        found = True
        number = to_number(row[key])
        if number is not None:
            values.append(number)
    return values, found


def check_trigger(
    rows: Sequence[dict[str, Any]],
    threshold_type: str,
    threshold: Number,
    field: str | None = None,
    every_row: bool = False,
) -> TriggerVerdict:
    """The condition `<field or row count> <threshold_type> <threshold>` over `rows`, for any row or every row."""
    if not field:
        count = len(rows)
        return TriggerVerdict(compares(threshold_type, count, threshold), count)
    values, found = field_values(rows, field)
    if not values:
        # No row has a number to compare: nothing fires, and no row stands in the way of resolving.
        return TriggerVerdict(every_row, None, found)
    upward = threshold_type.startswith("Greater")
    deciding = max(values) if upward != every_row else min(values)
    return TriggerVerdict(compares(threshold_type, deciding, threshold), deciding, found)
