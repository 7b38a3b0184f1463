"""The time a log message carries, read from its line, as the local Sumo's ingestion and the backtest both read it.

Rule: a line starting with `{` is JSON and its "ts", "timestamp" or "@timestamp" key is used (ISO 8601 text, or
epoch seconds/milliseconds as a number); otherwise a leading ISO 8601 timestamp (`2026-11-27T10:15:30Z`,
`2026-11-27 10:15:30.123+01:00`, `2026-11-27T10:15:30+0100`; no zone means UTC); otherwise the first combined-log
field `[27/Nov/2026:10:00:00 +0000]`. A line with none of these has no message time.
On receipt, a message time more than 24 h before or 1 h after the receiving clock is implausible and the receipt
time is used instead (as Sumo falls back to receipt time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

MAX_PAST_SKEW_SECONDS = 24 * 3600
MAX_FUTURE_SKEW_SECONDS = 3600
JSON_TIME_KEYS = ("ts", "timestamp", "@timestamp")
_MAX_CACHED = 100_000
_UNSEEN = object()
_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}  # fmt: skip
_LEADING_ISO = re.compile(
    r"(?P<minute>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}):(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d{2}:?\d{2})?"
)
_COMBINED_MINUTE = re.compile(r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})")


def plausible_message_time_ms(stamped_ms: int | None, receipt_ms: int) -> int:
    """The stored time of a message stamped `stamped_ms` (None: no time in the line) and received at `receipt_ms`."""
    if stamped_ms is None:
        return receipt_ms
    too_old = stamped_ms < receipt_ms - MAX_PAST_SKEW_SECONDS * 1000
    if too_old or stamped_ms > receipt_ms + MAX_FUTURE_SKEW_SECONDS * 1000:
        return receipt_ms
    return stamped_ms


class MessageTimeReader:
    """Epoch ms of a line's message time by the module's rule, or None. Busy logs repeat each second's combined-log
    stamp and each minute's ISO prefix, so both are turned into epoch ms once (bounded caches)."""

    def __init__(self) -> None:
        self._minute_ms: dict[str, int | None] = {}
        self._combined_stamp_ms: dict[str, int | None] = {}

    def __call__(self, line: str) -> int | None:
        if line.startswith("{"):
            return self._json_time(line)
        if line[4:5] == "-" and line[7:8] == "-":
            stamped = self.iso_ms(line)
            if stamped is not None:
                return stamped
        bracket = line.find("[")
        if bracket < 0:
            return None
        stamp = line[bracket + 1 : bracket + 27]  # 27/Nov/2026:10:00:00 +0000
        cached = self._combined_stamp_ms.get(stamp, _UNSEEN)
        if cached is _UNSEEN:
            if len(self._combined_stamp_ms) >= _MAX_CACHED:
                self._combined_stamp_ms.clear()
            cached = self._combined_stamp_ms[stamp] = self._combined_ms(stamp)
        return cached  # type: ignore[return-value]

    def iso_ms(self, text: str) -> int | None:
        """Epoch ms of the ISO 8601 timestamp `text` starts with, or None."""
        match = _LEADING_ISO.match(text)
        if match is None:
            return None
        minute, second, fraction, zone = match.group("minute", "second", "fraction", "zone")
        minute_ms = self._cached_minute(f"{minute} {zone or 'Z'}", _iso_minute_ms)
        if minute_ms is None or int(second) > 59:
            return None
        return minute_ms + int(second) * 1000 + (int(fraction[:3].ljust(3, "0")) if fraction else 0)

    def _combined_ms(self, stamp: str) -> int | None:
        seconds = stamp[18:20]
        if stamp[17:18] != ":" or not (seconds.isdigit() and seconds.isascii()) or int(seconds) > 59:
            return None
        minute_ms = self._cached_minute(stamp[:17] + stamp[20:], _combined_minute_ms)
        return None if minute_ms is None else minute_ms + int(seconds) * 1000

    def _cached_minute(self, key: str, parse: Callable[[str], int | None]) -> int | None:
        if key in self._minute_ms:
            return self._minute_ms[key]
        if len(self._minute_ms) >= _MAX_CACHED:
            self._minute_ms.clear()
        minute_ms = self._minute_ms[key] = parse(key)
        return minute_ms

    def _json_time(self, line: str) -> int | None:
        try:
            document = json.loads(line)
        except ValueError:
            return None
        if not isinstance(document, dict):
            return None
        for key in JSON_TIME_KEYS:
            value = document.get(key)
            if isinstance(value, str):
                return self.iso_ms(value)
            if isinstance(value, int | float) and not isinstance(value, bool):
                # Below 1e11 the number is seconds (1e11 s is the year 5138; 1e11 ms is 1973).
                return int(value * 1000) if value < 1e11 else int(value)
        return None


def _iso_minute_ms(key: str) -> int | None:
    """Epoch ms of an ISO minute key: "2026-11-27T10:15 +01:00" (or with a space, or zone Z / +0100)."""
    minute, zone = key.rsplit(" ", 1)
    if zone != "Z" and ":" not in zone:
        zone = f"{zone[:3]}:{zone[3:]}"
    try:
        moment = datetime.fromisoformat(f"{minute[:10]}T{minute[11:]}:00{zone.replace('Z', '+00:00')}")
    except ValueError:
        return None
    return int(moment.timestamp() * 1000)


def _combined_minute_ms(key: str) -> int | None:
    """Epoch ms of a combined-log minute key: "27/Nov/2026:10:00 +0000"."""
    match = _COMBINED_MINUTE.fullmatch(key)
    if match is None:
        return None
    day, month_name, year, hour, minute, sign, offset_hours, offset_minutes = match.groups()
    month = _MONTHS.get(month_name)
    if month is None:
        return None
    offset = timedelta(hours=int(offset_hours), minutes=int(offset_minutes)) * (-1 if sign == "-" else 1)
    try:
        moment = datetime(int(year), month, int(day), int(hour), int(minute), tzinfo=timezone(offset))
    except ValueError:
        return None
    return int(moment.timestamp() * 1000)
