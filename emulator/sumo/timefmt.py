"""Time formats of the Sumo Logic API: RFC 3339 timestamps, relative durations ("-15m", "1h30m") and the
human-readable times that alert payloads carry."""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DURATION = re.compile(r"^-?(?:\d+[smhd])+$")
_DURATION_PART = re.compile(r"(\d+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rfc3339_ms(epoch_seconds: float) -> str:
    """UTC with milliseconds and Z, as the API writes createdAt and modifiedAt."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_duration_seconds(text: str) -> int:
    """Seconds in a relative duration such as "-15m", "60m", "1d" or "23h60m"; the sign is ignored."""
    if not isinstance(text, str) or not _DURATION.match(text):
        raise ValueError(f"expected a duration like '-15m', '1h' or '23h60m', got {text!r}")
    return sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART.findall(text))


def negative_form(text: str) -> str:
    """The form a real GET returns a trigger time range in ("-15m"), whatever the sign it was written with."""
    return text if text.startswith("-") else f"-{text}"


def human_time(epoch_ms: int) -> str:
    """The alert payload form: 07/13/2021 03:38:30 PM UTC."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%m/%d/%Y %I:%M:%S %p UTC")


def describe_minutes(seconds: int) -> str:
    """How TriggerCondition names a window: "10 minutes", or "30 seconds" below a minute."""
    if seconds % 60 == 0:
        minutes = seconds // 60
        return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds} seconds"
