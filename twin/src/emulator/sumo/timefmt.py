"""Time formats of the Sumo Logic API: RFC 3339 timestamps, relative durations ("-15m", "1h30m") and the
human-readable times that alert payloads carry."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_PART = re.compile(r"(\d+)([smhd])")
MINUTE_SECONDS = 60


def rfc3339_ms(epoch_seconds: float) -> str:
    """UTC with milliseconds and Z, as the API writes createdAt and modifiedAt."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@functools.cache
def _duration_pattern(units: str, signed: bool) -> re.Pattern[str]:
    return re.compile(("^-?" if signed else "^") + f"(?:\\d+[{units}])+$")


def is_duration(text: object, units: str = "smhd", signed: bool = True) -> bool:
    """Whether `text` is a relative duration ("-15m", "1h30m") of the given units, with a sign if `signed`."""
    return isinstance(text, str) and _duration_pattern(units, signed).match(text) is not None


def parse_duration_seconds(text: str, units: str = "smhd", signed: bool = True) -> int:
    """Seconds in a relative duration such as "-15m", "60m", "1d" or "23h60m"; the sign is ignored."""
    if not is_duration(text, units, signed):
        examples = "'-15m', '1h' or '23h60m'" if signed else "'0m', '5m' or '1h30m'"
        raise ValueError(f"expected a duration like {examples}, got {text!r}")
    return sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in _DURATION_PART.findall(text))


def is_whole_minutes(seconds: int) -> bool:
    """Monitors are evaluated each minute, so windows and delays that line up with passes are whole minutes."""
    return seconds >= 0 and seconds % MINUTE_SECONDS == 0


def parse_minutes_seconds(text: str, allow_zero: bool = False) -> int:
    """parse_duration_seconds, for a duration that must be a (positive, unless `allow_zero`) whole number of
    minutes."""
    seconds = parse_duration_seconds(text)
    if not is_whole_minutes(seconds) or (seconds == 0 and not allow_zero):
        kind = "whole number of minutes" if allow_zero else "positive whole number of minutes"
        raise ValueError(f"expected a {kind}, got {text!r}")
    return seconds


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
