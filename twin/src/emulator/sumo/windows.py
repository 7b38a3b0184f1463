"""Which messages a monitor pass at a given time looks at: [at - delay - timeRange, at - delay), by message time in
epoch ms; and which pass times cover a stretch of logs when it is replayed.

The delay is the monitor's evaluationDelay, but never less than two minutes: Sumo documents that "log monitors delay
execution by two minutes" (help.sumologic.com/docs/alerts/monitors/overview), while the API's evaluationDelay
defaults to "0m". Whether a configured delay adds to those two minutes is not documented; the twin reads the two as
one delay with a two-minute floor (docs/twin-fidelity.md, "Evaluation delay").
"""

from __future__ import annotations

MINUTE_MS = 60_000
LOG_MONITOR_DELAY_SECONDS = 120


def effective_delay_seconds(configured_seconds: int) -> int:
    """The delay a log monitor's passes run with, for its configured evaluationDelay in seconds."""
    return max(configured_seconds, LOG_MONITOR_DELAY_SECONDS)


def evaluation_window_ms(at_ms: int, time_range_seconds: int, delay_seconds: int = 0) -> tuple[int, int]:
    """The [start, end) message times a trigger with this time range sees in a pass at `at_ms`, for the monitor's
    configured delay (effective_delay_seconds applies the floor)."""
    end_ms = at_ms - effective_delay_seconds(delay_seconds) * 1000
    return end_ms - time_range_seconds * 1000, end_ms


def passes_over(first_minute: int, last_minute: int, delay_seconds: int = 0) -> range:
    """The pass times (epoch minutes) from the first whose window ends after the first minute of logs to the first
    whose window ends after the last: the passes of a monitor that watched those minutes as they happened."""
    delay_minutes = effective_delay_seconds(delay_seconds) * 1000 // MINUTE_MS
    return range(first_minute + 1 + delay_minutes, last_minute + 2 + delay_minutes)
