"""The three shapes a compiled pipe stage takes, so the pipeline can fuse per-row stages into one loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Row = dict[str, object]


@dataclass(frozen=True, slots=True)
class RowStage:
    """Works on one row in place; returns False to drop it (parse, json, num, where, timeslice, fields)."""

    name: str
    apply: Callable[[Row], bool]


@dataclass(frozen=True, slots=True)
class ExpandStage:
    """Turns one row into zero or more rows (`parse regex ... multi`)."""

    name: str
    apply: Callable[[Row], list[Row]]


@dataclass(frozen=True, slots=True)
class TableStage:
    """Needs every row at once (sort, limit)."""

    name: str
    apply: Callable[[list[Row]], list[Row]]
