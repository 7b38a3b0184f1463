"""Turns query text into a CompiledQuery: a Scope, fused per-row stages, then aggregates and table stages.

`summarize` runs the per-message part once over some records (e.g. one minute of them) and `finish` combines any
number of such summaries into result rows, so a monitor can slide a window over minute buckets; `run` is both in one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from emulator.sumo.query import operators
from emulator.sumo.query.aggregates import AGGREGATE_NAMES, AggregateStage, Partial, compile_aggregate
from emulator.sumo.query.errors import QueryError
from emulator.sumo.query.fields import FieldSet
from emulator.sumo.query.lexer import IDENT, Token, TokenStream, split_scope, tokenize_stages
from emulator.sumo.query.records import Message
from emulator.sumo.query.scope import Scope, TextMatch, compile_scope, match_no_text
from emulator.sumo.query.stages import ExpandStage, Row, RowStage, TableStage

Stage = RowStage | ExpandStage | TableStage | AggregateStage

SUPPORTED_OPERATORS = (
    "parse",
    "parse regex",
    "extract",
    "json",
    "num",
    "if",
    "where",
    "timeslice",
    "fields",
    "sort",
    "limit",
    *AGGREGATE_NAMES,
)

_SIMPLE_OPERATORS: dict[str, Callable[[TokenStream, FieldSet], Stage]] = {
    "json": operators.compile_json,
    "where": operators.compile_where,
    "fields": operators.compile_fields,
    "sort": operators.compile_sort,
    "limit": operators.compile_limit,
}


@dataclass(frozen=True, slots=True)
class Summary:
    """The per-message part of a query run over some records: how many matched the scope, and the partial result."""

    scope_matches: int
    state: Partial | list[Row]


class CompiledQuery:
    """A query ready to run over messages (LogRecords) any number of times (it holds no per-run state)."""

    def __init__(self, text: str, scope: Scope, stages: list[Stage]) -> None:
        self.text = text
        self.is_aggregate = any(isinstance(stage, AggregateStage) for stage in stages)
        self._scope = scope
        leading = 0
        while leading < len(stages) and isinstance(stages[leading], RowStage | ExpandStage):
            leading += 1
        self._streaming: tuple[RowStage | ExpandStage, ...] = tuple(stages[:leading])  # type: ignore[arg-type]
        self._fused: tuple[Callable[[Row], bool], ...] | None = (
            tuple(stage.apply for stage in self._streaming)  # type: ignore[misc]
            if all(isinstance(stage, RowStage) for stage in self._streaming)
            else None
        )
        head = stages[leading] if leading < len(stages) else None
        self._head_aggregate = head if isinstance(head, AggregateStage) else None
        self._rest: tuple[Stage, ...] = tuple(stages[leading + (1 if self._head_aggregate else 0) :])

    def run(self, records: Iterable[Message]) -> list[dict[str, object]]:
        """The result rows: aggregate rows, or one row per matching message (in input order)."""
        return self.finish([self.summarize(records)])

    def summarize(self, records: Iterable[Message]) -> Summary:
        """Scope + the leading per-row stages (+ the first aggregate's partial state) over `records`: LogRecords, or
        plain (timestamp_ms, raw, fields) tuples. The scope's metadata terms are settled once per run of records
        sharing one `fields` mapping (a file's lines, a batch ingested together), leaving only the text test; so a
        mapping must not change while the records are read."""
        state, sink = self._new_state()
        matched = self._feed(records, self._row_pipeline(sink))
        return Summary(matched, state)

    def _new_state(self) -> tuple[Partial | list[Row], Callable[[Row], None]]:
        """An empty summary state, and the function adding a finished row to it."""
        if self._head_aggregate is not None:
            partial = self._head_aggregate.new_partial()
            return partial, self._head_aggregate.adder(partial)
        rows: list[Row] = []
        return rows, rows.append

    def _row_pipeline(self, sink: Callable[[Row], None]) -> Callable[[Row], None]:
        """The leading per-row stages, ending in `sink`, as one function of a message's row."""
        fused = self._fused
        if fused is None:
            return lambda row: self._push(row, 0, sink)

        def process(row: Row) -> None:
            for apply in fused:
                if not apply(row):
                    return
            sink(row)

        return process

    def _feed(self, records: Iterable[Message], process: Callable[[Row], None]) -> int:
        """Each record in scope, as a row, to `process`; the number in scope (the hot loop of every query)."""
        text_test_for = self._scope.for_metadata
        current_fields: Mapping[str, str] | None = None
        text_test: TextMatch = match_no_text
        matched = 0
        for timestamp_ms, raw, fields in records:
            if fields is not current_fields:
                current_fields, text_test = fields, text_test_for(fields)
            if text_test(raw):
                matched += 1
                # The row is {**fields, "_raw": raw, "_messagetime": timestamp_ms}; copying then setting is faster.
                row: Row = dict(fields)
                row["_raw"] = raw
                row["_messagetime"] = timestamp_ms
                process(row)
        return matched

    def _push(self, row: Row, index: int, sink: Callable[[Row], None]) -> None:
        """The general streaming path, for pipelines with a row-multiplying stage (`parse regex ... multi`)."""
        stages = self._streaming
        while index < len(stages):
            stage = stages[index]
            index += 1
            if isinstance(stage, RowStage):
                if not stage.apply(row):
                    return
            else:
                for produced in stage.apply(row):
                    self._push(produced, index, sink)
                return
        sink(row)

    def finish(self, summaries: Sequence[Summary]) -> list[dict[str, object]]:
        """The result rows of all `summaries` taken together (the summaries are not modified)."""
        if self._head_aggregate is not None:
            merged = self._head_aggregate.merge(summary.state for summary in summaries)  # type: ignore[misc]
            rows = self._head_aggregate.finish(merged)
        else:
            # Later stages change rows in place, and a summary may be finished again in the next window.
            rows = [dict(row) for summary in summaries for row in summary.state]  # type: ignore[union-attr]
        for stage in self._rest:
            rows = _apply_to_table(stage, rows)
        return rows


def _apply_to_table(stage: Stage, rows: list[Row]) -> list[Row]:
    if isinstance(stage, RowStage):
        return [row for row in rows if stage.apply(row)]
    if isinstance(stage, ExpandStage):
        return [produced for row in rows for produced in stage.apply(row)]
    if isinstance(stage, TableStage):
        return stage.apply(rows)
    return stage.finish(stage.add_rows(stage.new_partial(), rows))


def _unsupported(token: Token, number: int, stage_text: str) -> QueryError:
    supported = ", ".join(SUPPORTED_OPERATORS)
    return QueryError(
        f"operator `{token.text}` (stage {number}: `{stage_text}`) is not supported by this Sumo Logic twin; "
        f"supported operators: {supported}"
    )


def _compile_stage(tokens: list[Token], stage_text: str, number: int, fields: FieldSet, timeslices: set[str]) -> Stage:
    first = tokens[0]
    if first.kind != IDENT:
        raise QueryError(f"stage {number} `{stage_text}` does not start with an operator name")
    name = first.text.lower()
    stream = TokenStream(tokens[1:], stage_text)
    if name == "parse":
        if stream.accept_word("regex"):
            return operators.compile_parse_regex(stream, fields)
        return operators.compile_parse_anchor(stream, fields)
    if name == "extract":
        return operators.compile_parse_regex(stream, fields)
    if name == "num" and stream.peek() is not None and stream.peek().is_op("("):  # type: ignore[union-attr]
        return operators.compile_num(stream, fields)
    if name == "if":
        return operators.compile_if(TokenStream(tokens, stage_text), fields)
    if name == "timeslice":
        stage, target = operators.compile_timeslice(stream, fields)
        timeslices.add(target)
        return stage
    if name in AGGREGATE_NAMES:
        return compile_aggregate(TokenStream(tokens, stage_text), fields, frozenset(timeslices))
    compile_simple = _SIMPLE_OPERATORS.get(name)
    if compile_simple is None:
        raise _unsupported(first, number, stage_text)
    return compile_simple(stream, fields)


def _blank_comment_lines(text: str) -> str:
    """Lines starting with `//` are comments in Sumo; they become spaces so error positions stay true."""
    lines = text.split("\n")
    return "\n".join(" " * len(line) if line.lstrip().startswith("//") else line for line in lines)


def compile_query(text: str) -> CompiledQuery:
    """Compile Sumo query text; QueryError names the operator, token or position outside the supported subset."""
    if not isinstance(text, str):
        raise QueryError(f"the query must be a string, got {type(text).__name__}")
    original = text
    text = _blank_comment_lines(text)
    if not text.strip():
        raise QueryError("the query is empty")
    scope_text, pipe_at = split_scope(text)
    scope = compile_scope(scope_text)
    fields = FieldSet()
    timeslices: set[str] = set()
    stages: list[Stage] = []
    pending_timeslice: str | None = None
    for number, (tokens, stage_text) in enumerate(tokenize_stages(text, pipe_at), start=1):
        stage = _compile_stage(tokens, stage_text, number, fields, timeslices)
        if isinstance(stage, RowStage) and stage.name == "timeslice":
            pending_timeslice = stage_text
        if isinstance(stage, AggregateStage):
            pending_timeslice = None
        stages.append(stage)
    if pending_timeslice is not None:
        raise QueryError(f"`{pending_timeslice}` must be followed by an aggregate such as `count by _timeslice`")
    return CompiledQuery(original, scope, stages)
