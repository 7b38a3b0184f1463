"""Log records for the query engine's tests: a fixed start time and the metadata a collector would attach."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator.sumo.query import LogRecord

START_MS = int(datetime(2026, 11, 27, 10, 0, tzinfo=UTC).timestamp() * 1000)

METADATA = {
    "_sourceCategory": "prod/api",
    "_sourceName": "/var/log/nginx/access.log",
    "_sourceHost": "web-1",
    "_collector": "collector-1",
}


def record(raw: str, timestamp_ms: int = START_MS, **metadata: str) -> LogRecord:
    """A record of `raw` at `timestamp_ms`, with METADATA and any `_name=value` given as `name=value`."""
    fields = dict(METADATA)
    fields.update({f"_{name}": value for name, value in metadata.items()})
    return LogRecord(timestamp_ms=timestamp_ms, raw=raw, fields=fields)
