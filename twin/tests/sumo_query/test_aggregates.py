"""Aggregates: count, count(f), count_distinct, sum, avg, min, max, pct, with aliases, groups and timeslices."""

from __future__ import annotations

import pytest

from emulator.sumo.query import QueryError, compile_query
from tests.sumo_query.samples import START_MS, record

PARSE = '| parse "host=* ms=*;" as host, ms | num(ms)'
LINES = [
    ("host=a ms=100;", START_MS),
    ("host=b ms=300;", START_MS + 10_000),
    ("host=a ms=200;", START_MS + 61_000),
    ("host=a ms=x;", START_MS + 62_000),
]


def run(stages: str) -> list[dict[str, object]]:
    return compile_query(f"{PARSE} {stages}").run([record(raw, when) for raw, when in LINES])


def test_default_output_names_follow_sumo() -> None:
    assert run("| count, sum(ms), avg(ms), min(ms), max(ms)") == [
        {"_count": 4, "_sum": 600, "_avg": 200, "_min": 100, "_max": 300}
    ]


def test_several_aggregates_with_aliases_in_one_stage() -> None:
    rows = run("| count as n, count(ms) as timed, sum(ms) as total, avg(ms) as avg_ms, min(ms), max(ms)")
    assert rows == [{"n": 4, "timed": 3, "total": 600, "avg_ms": 200, "_min": 100, "_max": 300}]


def test_count_by_groups_in_first_seen_order() -> None:
    assert run("| count by host") == [{"host": "a", "_count": 3}, {"host": "b", "_count": 1}]


def test_avg_by_group_skips_values_that_are_not_numbers() -> None:
    assert run("| avg(ms) as avg_ms by host") == [{"host": "a", "avg_ms": 150}, {"host": "b", "avg_ms": 300}]


def test_count_distinct() -> None:
    assert run("| count_distinct(host)") == [{"_count_distinct": 2}]


def test_pct_default_alias_and_nearest_rank() -> None:
    assert run("| pct(ms, 95)") == [{"_ms_pct_95": 300}]
    assert run("| pct(ms, 50, 95) as p50, p95") == [{"p50": 200, "p95": 300}]


def test_pct_over_many_values_is_the_nearest_rank() -> None:
    records = [record(f"host=a ms={value};") for value in range(1, 101)]
    rows = compile_query(f"{PARSE} | pct(ms, 95) as p95, pct(ms, 50) as p50").run(records)
    assert rows == [{"p95": 95, "p50": 50}]


def test_timeslice_groups_by_minute_oldest_first() -> None:
    rows = run("| timeslice 1m | count by _timeslice")
    assert rows == [{"_timeslice": START_MS, "_count": 2}, {"_timeslice": START_MS + 60_000, "_count": 2}]


def test_timeslice_with_alias_and_other_groups() -> None:
    rows = run("| timeslice 5m as t | max(ms) by t, host")
    assert rows == [{"t": START_MS, "host": "a", "_max": 200}, {"t": START_MS, "host": "b", "_max": 300}]


def test_aggregate_over_zero_messages_returns_no_rows() -> None:
    assert compile_query("nothing-matches | count").run([record("x")]) == []
    assert compile_query("nothing-matches | count by _sourceHost").run([record("x")]) == []


def test_stages_after_an_aggregate_work_on_its_rows() -> None:
    assert run("| count by host | where _count > 1") == [{"host": "a", "_count": 3}]
    assert run("| count by host | sort by _count asc | limit 1") == [{"host": "b", "_count": 1}]
    assert run("| count by host | count as hosts") == [{"hosts": 2}]


def test_after_an_aggregate_only_its_fields_exist() -> None:
    with pytest.raises(QueryError, match="field `ms`"):
        compile_query(f"{PARSE} | count by host | where ms > 1")


def test_summaries_of_separate_minutes_combine_like_one_run() -> None:
    query = compile_query(f"{PARSE} | count as n, avg(ms) as a, pct(ms, 50) as p by host")
    records = [record(raw, when) for raw, when in LINES]
    combined = query.finish([query.summarize(records[:2]), query.summarize(records[2:])])
    assert combined == query.run(records)


@pytest.mark.parametrize(
    ("stages", "named"),
    [
        ("| avg", "needs a field"),
        ("| pct(ms)", "needs a percentile"),
        ("| pct(ms, 150)", "percentile must be"),
        ("| count, count", "twice"),
        ("| stddev(ms)", "stddev"),
        ("| timeslice 1m", "followed by an aggregate"),
        ("| timeslice 30 buckets | count by _timeslice", "buckets"),
        ("| pct(ms, 50, 95) as p50", "alias"),
    ],
)
def test_malformed_aggregates_are_refused(stages: str, named: str) -> None:
    with pytest.raises(QueryError, match=named):
        compile_query(f"{PARSE} {stages}")
