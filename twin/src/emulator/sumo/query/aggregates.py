"""Aggregate operators (count, count_distinct, sum, avg, min, max, pct) with optional `by` groups.

Every aggregate keeps a mergeable partial state per group, so a monitor can aggregate each minute once and combine
the minutes of a window instead of re-reading the messages. Zero input rows give zero output rows (also without
`by`): Sumo does not document this case, and "no rows" lets a monitor on row count see 0 and a monitor on a field
see nothing to compare, so neither fires on an empty window.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from emulator.sumo.query.errors import QueryError
from emulator.sumo.query.fields import FieldSet
from emulator.sumo.query.lexer import NUMBER, TokenStream
from emulator.sumo.query.stages import Row
from emulator.sumo.query.values import tidy_number, to_number

AGGREGATE_NAMES = ("count", "count_distinct", "sum", "avg", "min", "max", "pct")
GroupKey = tuple[object, ...]
Partial = dict[GroupKey, list[list[object]]]


class _Accumulator:
    """One aggregate function; its state is a small list so adding and merging work in place."""

    def __init__(self, field: str | None, outputs: tuple[str, ...]) -> None:
        self.field = field
        self.outputs = outputs

    def new(self) -> list[object]:
        raise NotImplementedError

    def add(self, state: list[object], row: Row) -> None:
        raise NotImplementedError

    def merge(self, into: list[object], other: list[object]) -> None:
        raise NotImplementedError

    def results(self, state: list[object]) -> tuple[object, ...]:
        raise NotImplementedError

    def _number(self, row: Row) -> int | float | None:
        value = row.get(self.field)  # type: ignore[arg-type]
        if value.__class__ is int or value.__class__ is float:
            return value  # type: ignore[return-value]
        return to_number(value)


class _Count(_Accumulator):
    """`count` counts rows; `count(f)` counts rows where f is not null."""

    def new(self) -> list[object]:
        return [0]

    def add(self, state: list[object], row: Row) -> None:
        if self.field is None or row.get(self.field) is not None:
            state[0] += 1  # type: ignore[operator]

    def merge(self, into: list[object], other: list[object]) -> None:
        into[0] += other[0]  # type: ignore[operator]

    def results(self, state: list[object]) -> tuple[object, ...]:
        return (state[0],)


class _CountDistinct(_Accumulator):
    def new(self) -> list[object]:
        return [set()]

    def add(self, state: list[object], row: Row) -> None:
        value = row.get(self.field)  # type: ignore[arg-type]
        if value is not None:
            state[0].add(value)  # type: ignore[attr-defined]

    def merge(self, into: list[object], other: list[object]) -> None:
        into[0] |= other[0]  # type: ignore[operator]

    def results(self, state: list[object]) -> tuple[object, ...]:
        return (len(state[0]),)  # type: ignore[arg-type]


class _SumAvg(_Accumulator):
    """State [total, n]; values that are null or not numeric are left out."""

    def __init__(self, field: str | None, outputs: tuple[str, ...], average: bool) -> None:
        super().__init__(field, outputs)
        self.average = average

    def new(self) -> list[object]:
        return [0, 0]

    def add(self, state: list[object], row: Row) -> None:
        number = self._number(row)
        if number is not None:
            state[0] += number  # type: ignore[operator]
            state[1] += 1  # type: ignore[operator]

    def merge(self, into: list[object], other: list[object]) -> None:
        into[0] += other[0]  # type: ignore[operator]
        into[1] += other[1]  # type: ignore[operator]

    def results(self, state: list[object]) -> tuple[object, ...]:
        total, count = state
        if not count:
            return (None,)
        value = total / count if self.average else total  # type: ignore[operator]
        return (tidy_number(float(value)),)


class _MinMax(_Accumulator):
    def __init__(self, field: str | None, outputs: tuple[str, ...], pick: Callable[[float, float], float]) -> None:
        super().__init__(field, outputs)
        self.pick = pick

    def new(self) -> list[object]:
        return [None]

    def add(self, state: list[object], row: Row) -> None:
        number = self._number(row)
        if number is not None:
            state[0] = number if state[0] is None else self.pick(state[0], number)  # type: ignore[arg-type]

    def merge(self, into: list[object], other: list[object]) -> None:
        if other[0] is not None:
            into[0] = other[0] if into[0] is None else self.pick(into[0], other[0])  # type: ignore[arg-type]

    def results(self, state: list[object]) -> tuple[object, ...]:
        return (state[0],)


class _Percentile(_Accumulator):
    """Exact nearest-rank percentile: the smallest value with at least p% of the values at or below it."""

    def __init__(self, field: str | None, outputs: tuple[str, ...], percents: tuple[float, ...]) -> None:
        super().__init__(field, outputs)
        self.percents = percents

    def new(self) -> list[object]:
        return [[]]

    def add(self, state: list[object], row: Row) -> None:
        number = self._number(row)
        if number is not None:
            state[0].append(number)  # type: ignore[attr-defined]

    def merge(self, into: list[object], other: list[object]) -> None:
        into[0].extend(other[0])  # type: ignore[attr-defined]

    def results(self, state: list[object]) -> tuple[object, ...]:
        values = sorted(state[0])  # type: ignore[type-var]
        if not values:
            return tuple(None for _ in self.percents)
        ranks = (max(1, math.ceil(percent / 100 * len(values))) for percent in self.percents)
        return tuple(values[rank - 1] for rank in ranks)


@dataclass(frozen=True, slots=True)
class AggregateStage:
    """One aggregate stage: its accumulators, its `by` fields, and how its output rows are ordered."""

    accumulators: tuple[_Accumulator, ...]
    group_fields: tuple[str, ...]
    time_ordered_field: str | None  # a `by` field made by timeslice: output is sorted by it, oldest first

    @property
    def output_fields(self) -> list[str]:
        return [*self.group_fields, *(name for accumulator in self.accumulators for name in accumulator.outputs)]

    def new_partial(self) -> Partial:
        return {}

    def adder(self, partial: Partial) -> Callable[[Row], None]:
        """A function adding one row to `partial` (the hot path of every aggregate query)."""
        accumulators = self.accumulators
        group_fields = self.group_fields
        only_counts_rows = len(accumulators) == 1 and isinstance(accumulators[0], _Count) and not accumulators[0].field
        if only_counts_rows and not group_fields:

            def count_all(row: Row) -> None:
                states = partial.get(())
                if states is None:
                    partial[()] = [[1]]
                else:
                    states[0][0] += 1  # type: ignore[operator]

            return count_all

        pairs_template = accumulators

        def add(row: Row) -> None:
            key = tuple(row.get(name) for name in group_fields) if group_fields else ()
            states = partial.get(key)
            if states is None:
                states = partial[key] = [accumulator.new() for accumulator in pairs_template]
            for accumulator, state in zip(pairs_template, states, strict=True):
                accumulator.add(state, row)

        return add

    def add_rows(self, partial: Partial, rows: Iterable[Row]) -> Partial:
        add = self.adder(partial)
        for row in rows:
            add(row)
        return partial

    def merge(self, partials: Iterable[Partial]) -> Partial:
        """A fresh partial holding all of `partials` (which are left untouched, so they can be merged again)."""
        merged: Partial = {}
        for partial in partials:
            for key, states in partial.items():
                into = merged.get(key)
                if into is None:
                    merged[key] = into = [accumulator.new() for accumulator in self.accumulators]
                for accumulator, target, state in zip(self.accumulators, into, states, strict=True):
                    accumulator.merge(target, state)
        return merged

    def finish(self, partial: Partial) -> list[Row]:
        rows: list[Row] = []
        for key, states in partial.items():
            row: Row = dict(zip(self.group_fields, key, strict=True))
            for accumulator, state in zip(self.accumulators, states, strict=True):
                row.update(zip(accumulator.outputs, accumulator.results(state), strict=True))
            rows.append(row)
        if self.time_ordered_field is not None:
            name = self.time_ordered_field
            rows.sort(key=lambda row: (row.get(name) is None, row.get(name) or 0))
        return rows


def _percent(token_text: str, stage_text: str) -> float:
    percent = float(token_text)
    if not 0 < percent <= 100:
        raise QueryError(f"a percentile must be in (0, 100], got {token_text} in `{stage_text}`")
    return percent


def _default_pct_name(field: str, percent: float) -> str:
    shown = str(tidy_number(percent)).replace(".", "_")
    return f"_{field}_pct_{shown}"


def compile_aggregate(stream: TokenStream, fields: FieldSet, timeslice_fields: frozenset[str]) -> AggregateStage:
    """`count as n, avg(ms) as avg_ms, pct(ms, 95) by host, _timeslice` and the other aggregate forms."""
    accumulators: list[_Accumulator] = []
    while True:
        accumulators.append(_one_aggregate(stream, fields))
        if not stream.accept_op(","):
            break
    group_fields: list[str] = []
    if stream.accept_word("by"):
        group_fields.append(fields.resolve(stream.expect_ident("a field after `by`"), stream.stage_text))
        while stream.accept_op(","):
            group_fields.append(fields.resolve(stream.expect_ident("a field after `,`"), stream.stage_text))
    stream.expect_end()
    stage = AggregateStage(
        tuple(accumulators),
        tuple(group_fields),
        next((name for name in group_fields if name in timeslice_fields), None),
    )
    outputs = stage.output_fields
    duplicates = sorted({name for name in outputs if outputs.count(name) > 1})
    if duplicates:
        raise QueryError(f"`{stream.stage_text}` produces the field(s) {', '.join(duplicates)} twice; add `as` aliases")
    fields.replace(outputs)
    return stage


def _one_aggregate(stream: TokenStream, fields: FieldSet) -> _Accumulator:
    token = stream.next("an aggregate function")
    name = token.text.lower()
    if token.kind != "ident" or name not in AGGREGATE_NAMES:
        raise QueryError(
            f"aggregate `{token.text}` at position {token.position} is not supported "
            f"(supported: {', '.join(AGGREGATE_NAMES)})"
        )
    field: str | None = None
    percents: list[float] = []
    if stream.accept_op("("):
        if name == "count" and stream.accept_op(")"):
            pass
        else:
            field = fields.resolve(stream.expect_ident(f"a field inside {name}()"), stream.stage_text)
            while stream.accept_op(","):
                if name != "pct":
                    raise QueryError(f"`{name}` takes one field in `{stream.stage_text}`")
                percents.append(_percent(stream.expect_kind(NUMBER, "a percentile").text, stream.stage_text))
            stream.expect_op(")")
    if field is None and name != "count":
        raise QueryError(f"`{name}` needs a field, like {name}(response_time), in `{stream.stage_text}`")
    if name == "pct" and not percents:
        raise QueryError(f"`pct` needs a percentile, like pct({field}, 95), in `{stream.stage_text}`")
    defaults = (
        tuple(_default_pct_name(field, percent) for percent in percents)  # type: ignore[arg-type]
        if name == "pct"
        else (f"_{name}",)
    )
    outputs = defaults
    if stream.accept_word("as"):
        aliases = [stream.expect_ident("a field name after `as`")]
        while len(aliases) < len(defaults) and stream.accept_op(","):
            aliases.append(stream.expect_ident("a field name after `,`"))
        if len(aliases) != len(defaults):
            raise QueryError(f"`{stream.stage_text}`: {len(defaults)} percentile(s) need {len(defaults)} alias(es)")
        outputs = tuple(aliases)
    if name == "count":
        return _Count(field, outputs)
    if name == "count_distinct":
        return _CountDistinct(field, outputs)
    if name in ("sum", "avg"):
        return _SumAvg(field, outputs, average=name == "avg")
    if name in ("min", "max"):
        return _MinMax(field, outputs, min if name == "min" else max)
    return _Percentile(field, outputs, tuple(percents))
