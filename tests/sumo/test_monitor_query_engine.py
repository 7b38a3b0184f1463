"""The rendered monitor query, run by the twin's query engine over the sample lines docs/sumo-monitor.md shows, so
the documentation and the query cannot drift apart."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from emulator.sumo.query import LogRecord, compile_query

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "collections"))

from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_query import (  # noqa: E402
    render_monitor_query,
)

DOC = (REPO_ROOT / "docs" / "sumo-monitor.md").read_text()
METADATA = {"_sourceCategory": "prod/api", "_sourceName": "access.log", "_sourceHost": "web-1", "_collector": "c"}


def _doc_block(info: str) -> list[str]:
    match = re.search(rf"```{re.escape(info)}\n(.*?)```", DOC, re.DOTALL)
    assert match is not None, f"docs/sumo-monitor.md has no ```{info} block"
    return match.group(1).strip().splitlines()


def _count(query: str, lines: list[str], category: str = "prod/api") -> int:
    records = [LogRecord(timestamp_ms=0, raw=line, fields={**METADATA, "_sourceCategory": category}) for line in lines]
    rows = compile_query(query).run(records)
    assert len(rows) <= 1
    return int(next(iter(rows[0].values()))) if rows else 0


def test_the_doc_shows_the_query_exactly_as_rendered() -> None:
    assert render_monitor_query({"source_category": "prod/api"}) in DOC
    assert render_monitor_query({"source_category": "prod/api", "latency_source": "json"}) in DOC
    assert render_monitor_query({"source_category": "prod/api", "mode": "volume"}) in DOC


@pytest.mark.parametrize("line", _doc_block("log matches"))
def test_each_documented_matching_line_is_counted_as_slow(line: str) -> None:
    assert _count(render_monitor_query({"source_category": "prod/api"}), [line]) == 1


@pytest.mark.parametrize("line", _doc_block("log skipped"))
def test_each_documented_skipped_line_is_not_counted(line: str) -> None:
    assert _count(render_monitor_query({"source_category": "prod/api"}), [line]) == 0


def test_lines_of_another_source_category_are_not_counted() -> None:
    query = render_monitor_query({"source_category": "prod/api"})
    assert _count(query, _doc_block("log matches"), category="prod/web") == 0


def test_six_slow_calls_are_counted_as_six() -> None:
    query = render_monitor_query({"source_category": "prod/api"})
    assert _count(query, _doc_block("log matches") * 2) == 6


def _json_line(path: str, duration_ms: int, **extra: str) -> str:
    fields = {"ts": "2026-11-27T10:00:00.000Z", "method": "GET", "path": path, "duration_ms": duration_ms}
    return json.dumps({**fields, **extra})


def test_json_query_counts_slow_api_data_calls_only() -> None:
    query = render_monitor_query({"source_category": "prod/api", "latency_source": "json"})
    lines = [
        _json_line("/api/data?id=7", 4100),
        _json_line("/api/data", 3001),
        _json_line("/api/data", 800),
        _json_line("/api/users", 9000, referer="/api/data"),
        _json_line("/api/database", 9000, note="/api/data"),
    ]
    assert _count(query, lines) == 2


def test_volume_query_counts_every_api_data_call() -> None:
    query = render_monitor_query({"source_category": "prod/api", "mode": "volume"})
    assert _count(query, _doc_block("log matches") + _doc_block("log skipped")) == 8


def test_seconds_unit_query_with_a_seconds_regex_counts_slow_calls() -> None:
    settings = {
        "source_category": "prod/api",
        "latency_unit": "s",
        "latency_regex": r'"GET (?<path>/api/data)[^"]*" .*took=(?<response_time>[0-9.]+)s',
    }
    lines = ['"GET /api/data HTTP/1.1" 200 took=3.5s', '"GET /api/data HTTP/1.1" 200 took=2.9s']
    assert _count(render_monitor_query(settings), lines) == 1
