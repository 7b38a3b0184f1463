"""Throughput of the Sumo twin's query engine and of the monitor backtest on 1,000,000 access-log lines.

The headline figures use the process's CPU time: the target is "on one core" and the engine is single-threaded, so
CPU time measures it even when other work shares the machine; the wall-clock figures are printed beside them.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from emulator.sumo.query import LogRecord, compile_query
from tools.backtest import GuardSettings, TriggerSettings, run_backtest

LINES = 1_000_000
START_S = int(datetime(2026, 11, 27, tzinfo=UTC).timestamp())
SPAN_S = 24 * 3600
DEFAULT_LATENCY_QUERY = "\n".join(
    [
        '_sourceCategory=prod/api "/api/data"',
        r'| parse regex "\"(?:GET|POST|PUT|DELETE|PATCH) (?<path>/api/data)[^\"]*\" (?<status>\d{3}) '
        r'.*response_time=(?<response_time>[0-9.]+)(?<unit>ms|s)?" nodrop',
        '| where path = "/api/data"',
        "| num(response_time)",
        "| where response_time > 3000",
        "| count as slow_calls",
    ]
)
METADATA = {"_sourceCategory": "prod/api", "_sourceName": "access.log", "_sourceHost": "web-1", "_collector": "bench"}
PATHS = ("/api/data?id={}", "/api/data", "/api/users/{}", "/health", "/static/app.{}.js", "/api/orders?page={}")
METHODS = ("GET", "GET", "GET", "POST", "PUT")


def generate_lines(count: int) -> list[tuple[int, str]]:
    """(epoch ms, combined-log line) pairs in time order; about 1 in 3 calls hit /api/data, 1% of all are slow."""
    rng = random.Random(20261127)
    lines = []
    for index in range(count):
        second = START_S + index * SPAN_S // count
        path = rng.choice(PATHS).format(rng.randint(1, 99_999))
        slow = rng.random() < 0.01
        response_ms = rng.randint(3001, 12_000) if slow else rng.randint(3, 900)
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))
        line = (
            f"10.{index % 250}.{index % 200}.{index % 150} - - [{stamp}] "
            f'"{rng.choice(METHODS)} {path} HTTP/1.1" {rng.choice((200, 200, 200, 201, 404, 500))} '
            f'{rng.randint(90, 9000)} "-" "Mozilla/5.0 (bench)" response_time={response_ms}ms'
        )
        lines.append((second * 1000, line))
    return lines


def main() -> None:
    lines = generate_lines(LINES)
    records = [LogRecord(timestamp_ms, raw, METADATA) for timestamp_ms, raw in lines]
    query = compile_query(DEFAULT_LATENCY_QUERY)
    started, started_cpu = time.perf_counter(), time.process_time()
    rows = query.run(records)
    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    assert rows and rows[0]["slow_calls"] > 0, rows
    print(f"sumo_query_lines_per_second: {LINES / elapsed_cpu:.0f} (target >= 300000)")
    print(f"sumo_query_lines_per_second_wall: {LINES / elapsed:.0f}")

    with tempfile.TemporaryDirectory() as directory:
        log_path = Path(directory) / "access.log"
        log_path.write_text("".join(f"{raw}\n" for _, raw in lines), encoding="utf-8")
        trigger = TriggerSettings(threshold=5, threshold_type="GreaterThan", time_range_seconds=600, field="slow_calls")
        guard = GuardSettings(cooldown_seconds=900, max_attempts=3, window_seconds=3600)
        started, started_cpu = time.perf_counter(), time.process_time()
        with log_path.open(encoding="utf-8") as log:
            result = run_backtest(log, DEFAULT_LATENCY_QUERY, trigger, guard, METADATA)
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    assert result.buckets.lines == LINES and result.evaluations > 0
    print(f"sumo_backtest_seconds_1M_lines: {elapsed_cpu:.2f}")
    print(f"sumo_backtest_seconds_1M_lines_wall: {elapsed:.2f}")


if __name__ == "__main__":
    main()
