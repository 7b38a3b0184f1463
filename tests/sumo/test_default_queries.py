"""The monitor queries the product renders: latency by regex, latency from JSON fields, and volume."""

from __future__ import annotations

import pytest

from emulator.sumo.query import compile_query
from tests.sumo.samples import (
    DEFAULT_LATENCY_QUERY,
    JSON_LATENCY_QUERY,
    START_MS,
    VOLUME_QUERY,
    access_records,
    combined_log_line,
    json_log_line,
    record,
)


@pytest.mark.parametrize("slow", [6, 5, 1])
def test_latency_query_counts_each_slow_call_in_ten_minutes(slow: int) -> None:
    rows = compile_query(DEFAULT_LATENCY_QUERY).run(access_records(slow=slow, fast=200))
    assert rows == [{"slow_calls": slow}]


def test_latency_query_over_only_fast_calls_returns_a_row_of_zero() -> None:
    """Ledger: "Missing data". Traffic without a slow call is data (slow_calls = 0), not missing data."""
    rows = compile_query(DEFAULT_LATENCY_QUERY).run(access_records(slow=0, fast=1000))
    assert rows == [{"slow_calls": 0}]


def test_latency_query_over_silence_returns_no_row() -> None:
    """Ledger: "Missing data". Only silence (no /api/data call at all) returns no row."""
    assert compile_query(DEFAULT_LATENCY_QUERY).run([]) == []
    other_path = [record(combined_log_line(START_MS, "/api/users/1", 9000))]
    assert compile_query(DEFAULT_LATENCY_QUERY).run(other_path) == []


def test_latency_query_is_an_aggregate() -> None:
    assert compile_query(DEFAULT_LATENCY_QUERY).is_aggregate is True


def test_latency_query_ignores_slow_calls_to_other_paths_and_categories() -> None:
    records = [
        record(combined_log_line(START_MS, "/api/users/1", 9000)),
        record(combined_log_line(START_MS, "/api/data?id=1", 9000), sourceCategory="prod/web"),
        record(combined_log_line(START_MS, "/api/data?id=2", 9000)),
    ]
    assert compile_query(DEFAULT_LATENCY_QUERY).run(records) == [{"slow_calls": 1}]


def test_latency_query_reads_the_exact_sample_line() -> None:
    line = '10.0.0.1 - - [27/Nov/2026:10:00:00 +0000] "GET /api/data?id=1 HTTP/1.1" 200 512 response_time=3412ms'
    assert compile_query(DEFAULT_LATENCY_QUERY).run([record(line)]) == [{"slow_calls": 1}]


def test_latency_query_counts_post_and_exactly_threshold_is_not_slow() -> None:
    records = [
        record(combined_log_line(START_MS, "/api/data", 3001, method="POST")),
        record(combined_log_line(START_MS, "/api/data", 3000)),
    ]
    assert compile_query(DEFAULT_LATENCY_QUERY).run(records) == [{"slow_calls": 1}]


def test_latency_query_keeps_a_line_mentioning_the_path_elsewhere_out_of_the_count() -> None:
    # The scope keyword matches the referer, but the regex needs the path in the request itself.
    line = (
        '10.0.0.1 - - [27/Nov/2026:10:00:00 +0000] "GET /health HTTP/1.1" 200 2 referer=/api/data response_time=9000ms'
    )
    assert compile_query(DEFAULT_LATENCY_QUERY).run([record(line)]) == []


@pytest.mark.parametrize(("slow", "expected"), [(6, [{"slow_calls": 6}]), (0, [{"slow_calls": 0}])])
def test_json_variant_counts_slow_calls(slow: int, expected: list[dict[str, object]]) -> None:
    lines = [json_log_line(START_MS, "/api/data", 3412) for _ in range(slow)]
    lines += [json_log_line(START_MS, "/api/data", 120) for _ in range(50)]
    lines += [json_log_line(START_MS, "/api/users", 9000)]
    # The scope needs "/api/data" in the raw text: the users line never reaches the parser.
    rows = compile_query(JSON_LATENCY_QUERY).run([record(line) for line in lines])
    assert rows == expected


def test_json_variant_drops_lines_that_are_not_json() -> None:
    records = [record("plain text /api/data duration_ms=9000"), record(json_log_line(START_MS, "/api/data", 4000))]
    assert compile_query(JSON_LATENCY_QUERY).run(records) == [{"slow_calls": 1}]


def test_volume_query_counts_every_api_data_line() -> None:
    assert compile_query(VOLUME_QUERY).run(access_records(slow=3, fast=97)) == [{"_count": 100}]


def test_volume_query_over_nothing_returns_no_row() -> None:
    assert compile_query(VOLUME_QUERY).run([]) == []


def test_comment_lines_are_ignored() -> None:
    query = DEFAULT_LATENCY_QUERY.replace("| num(response_time)", "// slow means over 3 s\n| num(response_time)")
    assert compile_query(query).run(access_records(slow=2, fast=3)) == [{"slow_calls": 2}]
