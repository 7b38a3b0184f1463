"""Jinja filter that says how long a deployed log monitor lags behind its logs (see module_utils/sumologic_timing)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_timing import monitor_lag_seconds


def sumo_monitor_lag_seconds(time_range: Any, evaluation_delay: Any = "0m") -> int:
    try:
        return monitor_lag_seconds(time_range, evaluation_delay)
    except ValueError as error:
        raise AnsibleFilterError(f"sumo_monitor_lag_seconds: {error}") from error


class FilterModule:
    """autoremediation.sumo_aws.sumo_monitor_lag_seconds."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"sumo_monitor_lag_seconds": sumo_monitor_lag_seconds}
