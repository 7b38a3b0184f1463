"""Logs received by HTTP Sources, kept in memory in time order for the monitors to search.

Message time: read from the line by message_time.py (JSON ts/timestamp/@timestamp, a leading ISO 8601 time, or the
combined-log `[27/Nov/2026:10:00:00 +0000]` field); a line without one, or with a time more than 24 h before or
1 h after the twin's clock, gets the twin's clock at receipt (as Sumo falls back to receipt time).
Retention: lines older than 24 h of virtual time are dropped, and at most MAX_RECORDS are kept (oldest go first).
"""

from __future__ import annotations

import bisect
import threading

from emulator.clock import Clock
from emulator.sumo.message_time import MessageTimeReader, plausible_message_time_ms
from emulator.sumo.query import LogRecord

RETENTION_SECONDS = 24 * 3600
MAX_RECORDS = 500_000
DEFAULT_COLLECTOR = "local-sumo-twin"
DEFAULT_SOURCE_NAME = "Http Input"


class LogStore:
    """Records sorted by message time; thread-safe."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._times: list[int] = []
        self._records: list[LogRecord] = []
        self._read_time = MessageTimeReader()

    def ingest(self, body: str, fields: dict[str, str]) -> int:
        """Store one record per non-empty line of `body`; returns how many were stored."""
        receipt_ms = int(self._clock.now() * 1000)
        # One copy for the whole body: the query engine settles the scope's metadata terms once per shared mapping.
        fields = dict(fields)
        records = []
        for line in body.splitlines():
            if not line.strip():
                continue
            records.append(LogRecord(self.message_time_ms(line, receipt_ms), line, fields))
        with self._lock:
            for record in records:
                position = bisect.bisect_right(self._times, record.timestamp_ms)
                self._times.insert(position, record.timestamp_ms)
                self._records.insert(position, record)
            self._prune_locked(receipt_ms)
        return len(records)

    def message_time_ms(self, line: str, receipt_ms: int) -> int:
        """The stored time of `line` received at `receipt_ms`."""
        return plausible_message_time_ms(self._read_time(line), receipt_ms)

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
