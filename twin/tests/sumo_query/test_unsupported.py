"""Anything outside the subset is refused at compile time with the operator named, never skipped."""

from __future__ import annotations

import pytest

from emulator.sumo.query import QueryError, compile_query


@pytest.mark.parametrize(
    ("stage", "operator"),
    [
        ("transpose row _timeslice column host", "transpose"),
        ("lookup x from /shared/table on a=a", "lookup"),
        ("dedup by host", "dedup"),
        ("outlier _count", "outlier"),
        ("logreduce", "logreduce"),
        ("first(_raw)", "first"),
        ("compare with timeshift 1d", "compare"),
        ("top 10 host", "top"),
        ('concat(_raw, "x") as flag', "concat"),
    ],
)
def test_unsupported_operator_is_named_in_the_error(stage: str, operator: str) -> None:
    with pytest.raises(QueryError, match=f"`{operator}`.*not supported"):
        compile_query(f'"/api/data" | count by _sourceHost | {stage}')


def test_error_says_which_stage_holds_the_operator() -> None:
    with pytest.raises(QueryError, match=r"stage 2: `transpose row a column b`"):
        compile_query("x | count by _sourceHost | transpose row a column b")


def test_a_stage_that_does_not_start_with_an_operator_is_refused() -> None:
    with pytest.raises(QueryError, match="does not start with an operator"):
        compile_query('x | "quoted" as y')


@pytest.mark.parametrize("query", ["", "   ", "x |", "x | | count", 'x | where _raw = "open'])
def test_empty_or_broken_queries_are_refused(query: str) -> None:
    with pytest.raises(QueryError):
        compile_query(query)


def test_a_query_that_is_not_text_is_refused() -> None:
    with pytest.raises(QueryError, match="must be a string"):
        compile_query(None)  # type: ignore[arg-type]
