"""Which messages a monitor pass at a given time looks at: [at - evaluationDelay - timeRange, at - evaluationDelay),
by message time in epoch ms; and which pass times cover a stretch of logs when it is replayed."""

from __future__ import annotations

MINUTE_MS = 60_000


def evaluation_window_ms(at_ms: int, time_range_seconds: int, delay_seconds: int = 0) -> tuple[int, int]:
    """The [start, end) message times a trigger with this time range sees in a pass at `at_ms`."""
    end_ms = at_ms - delay_seconds * 1000
    return end_ms - time_range_seconds * 1000, end_ms


def passes_over(first_minute: int, last_minute: int, delay_seconds: int = 0) -> range:
    """The pass times (epoch minutes) from the first whose window ends after the first minute of logs to the first
    whose window ends after the last: the passes of a monitor that watched those minutes as they happened."""
    delay_minutes = delay_seconds * 1000 // MINUTE_MS
    return range(first_minute + 1 + delay_minutes, last_minute + 2 + delay_minutes)
