"""Times as the console prints them: ISO 8601 in UTC (the notifications' format), and durations in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def iso(epoch_seconds: float | None) -> str | None:
    """2026-11-02T03:04:05Z, or None for no time."""
    if epoch_seconds is None:
        return None
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_duration(text: str) -> int:
    """Seconds from `90s`, `15m`, `24h`, `7d`, `2w` or a plain number of seconds; ValueError naming the text."""
    match = _DURATION.match(text.lower())
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a duration; expected e.g. 90m, 24h or 7d")
    return int(float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def in_words(seconds: float) -> str:
    """A duration as on-call reads it: 45s, 12m, 3h 5m, 2d 4h."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"
