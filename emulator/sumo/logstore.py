"""Logs received by HTTP Sources, kept in memory in time order for the monitors to search.

Message time rule: a line that starts with an ISO 8601 timestamp (`2026-11-27T10:15:30Z`,
`2026-11-27 10:15:30.123+01:00`, `2026-11-27T10:15:30`; no zone means UTC) carries that time, unless it lies
more than 24 h before or 1 h after the twin's clock, in which case the receipt time is used (as Sumo falls back
to receipt time for implausible timestamps). Any other line gets the twin's clock at receipt.
Retention: lines older than 24 h of virtual time are dropped, and at most MAX_RECORDS are kept (oldest go first).
"""

from __future__ import annotations

import bisect
import re
import threading
from datetime import UTC, datetime

from emulator.clock import Clock
from emulator.sumo.query import LogRecord

RETENTION_SECONDS = 24 * 3600
MAX_FUTURE_SKEW_SECONDS = 3600
MAX_RECORDS = 500_000
DEFAULT_COLLECTOR = "local-sumo-twin"
DEFAULT_SOURCE_NAME = "Http Input"

_LEADING_TIMESTAMP = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})(?:[.,](?P<fraction>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?"
)


def leading_timestamp_ms(line: str) -> int | None:
    """Epoch ms of an ISO 8601 timestamp at the very start of `line`, or None."""
    match = _LEADING_TIMESTAMP.match(line)
    if not match:
        return None
    zone = match.group("zone") or "Z"
    if zone != "Z" and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    fraction = (match.group("fraction") or "0")[:6].ljust(6, "0")
    try:
        moment = datetime.fromisoformat(
            f"{match.group('date')}T{match.group('time')}.{fraction}{zone.replace('Z', '+00:00')}"
        )
    except ValueError:
        return None
    return int(moment.astimezone(UTC).timestamp() * 1000)


class LogStore:
    """Records sorted by message time; thread-safe."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._times: list[int] = []
        self._records: list[LogRecord] = []

    def ingest(self, body: str, fields: dict[str, str]) -> int:
        """Store one record per non-empty line of `body`; returns how many were stored."""
        receipt_ms = int(self._clock.now() * 1000)
        records = []
        for line in body.splitlines():
            if not line.strip():
                continue
            records.append(LogRecord(self.message_time_ms(line, receipt_ms), line, dict(fields)))
        with self._lock:
            for record in records:
                position = bisect.bisect_right(self._times, record.timestamp_ms)
                self._times.insert(position, record.timestamp_ms)
                self._records.insert(position, record)
            self._prune_locked(receipt_ms)
        return len(records)

    @staticmethod
    def message_time_ms(line: str, receipt_ms: int) -> int:
        parsed = leading_timestamp_ms(line)
        if parsed is None:
            return receipt_ms
        if parsed < receipt_ms - RETENTION_SECONDS * 1000 or parsed > receipt_ms + MAX_FUTURE_SKEW_SECONDS * 1000:
            return receipt_ms
        return parsed

    def window(self, start_ms: int, end_ms: int) -> list[LogRecord]:
        """Records with start_ms <= message time < end_ms, oldest first."""
        with self._lock:
            low = bisect.bisect_left(self._times, start_ms)
            high = bisect.bisect_left(self._times, end_ms)
            return self._records[low:high]

    def count(self) -> int:
        with self._lock:
            return len(self._records)

    def latest(self, limit: int) -> list[LogRecord]:
        with self._lock:
            return self._records[-limit:] if limit > 0 else []

    def prune(self) -> None:
        with self._lock:
            self._prune_locked(int(self._clock.now() * 1000))

    def _prune_locked(self, now_ms: int) -> None:
        oldest_kept = bisect.bisect_left(self._times, now_ms - RETENTION_SECONDS * 1000)
        oldest_kept = max(oldest_kept, len(self._records) - MAX_RECORDS)
        if oldest_kept > 0:
            del self._times[:oldest_kept]
            del self._records[:oldest_kept]
