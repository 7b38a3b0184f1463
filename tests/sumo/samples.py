"""Log lines and records as our API's access log produces them, and the monitor queries as the product renders them,
for the tests of the default queries and the backtest."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from emulator.sumo.query import LogRecord
from tools.access_log import access_line

_COLLECTIONS = Path(__file__).resolve().parents[2] / "collections"
if str(_COLLECTIONS) not in sys.path:
    sys.path.append(str(_COLLECTIONS))

from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_query import (  # noqa: E402
    render_monitor_query,
)

START_MS = int(datetime(2026, 11, 27, 10, 0, tzinfo=UTC).timestamp() * 1000)

# The monitor queries exactly as the product renders them for prod/api (the sumo_monitoring role's filter).
DEFAULT_LATENCY_QUERY = render_monitor_query({"source_category": "prod/api"})
JSON_LATENCY_QUERY = render_monitor_query({"source_category": "prod/api", "latency_source": "json"})
VOLUME_QUERY = render_monitor_query({"source_category": "prod/api", "mode": "volume"})

API_METADATA = {
    "_sourceCategory": "prod/api",
    "_sourceName": "/var/log/nginx/access.log",
    "_sourceHost": "web-1",
    "_collector": "collector-1",
}


def combined_log_line(timestamp_ms: int, path: str, response_ms: int, method: str = "GET", status: int = 200) -> str:
    """The access-log line tools/access_log.py writes, at an epoch-millisecond time."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return access_line(moment, response_ms, path, method=method, status=status)


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
