"""How far a Sumo Logic log monitor lags behind its logs, for whatever waits on it (the verification timer)."""

from __future__ import annotations

from typing import Any

from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_compare import duration_seconds

# Sumo Logic: "Log monitors delay execution by two minutes" (https://help.sumologic.com/docs/alerts/monitors/overview/).
# A configured evaluationDelay shorter than that still means two minutes (docs/twin-fidelity.md, "Evaluation delay").
LOG_MONITOR_DELAY_SECONDS = 120


def monitor_lag_seconds(time_range: Any, evaluation_delay: Any = "0m") -> int:
    """Seconds after a log line during which a log monitor's evaluations still count it, so an alert it raised cannot
    resolve sooner: the trigger's time range plus the delay each window is shifted by (at least two minutes).

    Raises ValueError naming the argument that is not a duration such as 10m or 1h.
    """
    try:
        window = duration_seconds(time_range)
    except ValueError as error:
        raise ValueError(f"time range: {error}") from None
    try:
        delay = duration_seconds(evaluation_delay)
    except ValueError as error:
        raise ValueError(f"evaluation delay: {error}") from None
    if window == 0:
        raise ValueError(f"time range: must be longer than zero, got {time_range!r}")
    return window + max(delay, LOG_MONITOR_DELAY_SECONDS)
