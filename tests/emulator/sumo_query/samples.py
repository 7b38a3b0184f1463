"""Log lines and records as an API access log would produce them, for the query and backtest tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from emulator.sumo.query import LogRecord

START_MS = int(datetime(2026, 11, 27, 10, 0, tzinfo=UTC).timestamp() * 1000)

LATENCY_REGEX = (
    r'"\"(?:GET|POST|PUT|DELETE|PATCH) (?<path>/api/data)[^\"]*\" (?<status>\d{3}) '
    r'.*response_time=(?<response_time>[0-9.]+)(?<unit>ms|s)?"'
)
DEFAULT_LATENCY_QUERY = "\n".join(
    [
        '_sourceCategory=prod/api "/api/data"',
        f"| parse regex {LATENCY_REGEX} nodrop",
        '| where path = "/api/data"',
        "| num(response_time)",
        "| where response_time > 3000",
        "| count as slow_calls",
    ]
)

JSON_LATENCY_QUERY = (
    '_sourceCategory=prod/api "/api/data" | json field=_raw "path", "duration_ms" as path, ms'
    ' | where path = "/api/data" | num(ms) | where ms > 3000 | count as slow_calls'
)

VOLUME_QUERY = '_sourceCategory=prod/api "/api/data" | count'

API_METADATA = {
    "_sourceCategory": "prod/api",
    "_sourceName": "/var/log/nginx/access.log",
    "_sourceHost": "web-1",
    "_collector": "collector-1",
}


def combined_log_line(timestamp_ms: int, path: str, response_ms: int, method: str = "GET", status: int = 200) -> str:
    """A combined-log-format line with a trailing response_time, like the product's web server writes."""
    when = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'10.0.0.1 - - [{when}] "{method} {path} HTTP/1.1" {status} 512 response_time={response_ms}ms'


def json_log_line(timestamp_ms: int, path: str, duration_ms: int, status: int = 200) -> str:
    when = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps({"ts": when, "method": "GET", "path": path, "status": status, "duration_ms": duration_ms})


def record(raw: str, timestamp_ms: int = START_MS, **metadata: str) -> LogRecord:
    fields = dict(API_METADATA)
    fields.update({f"_{name}": value for name, value in metadata.items()})
    return LogRecord(timestamp_ms=timestamp_ms, raw=raw, fields=fields)


def access_records(slow: int, fast: int, minutes: int = 10, path: str = "/api/data?id=7") -> list[LogRecord]:
    """`slow` calls of 3.4 s and `fast` calls of 120 ms to `path`, spread evenly over `minutes`."""
    total = slow + fast
    step_ms = minutes * 60_000 // max(total, 1)
    records = []
    for index in range(total):
        timestamp_ms = START_MS + index * step_ms
        response_ms = 3412 if index < slow else 120
        records.append(record(combined_log_line(timestamp_ms, path, response_ms), timestamp_ms))
    return records
