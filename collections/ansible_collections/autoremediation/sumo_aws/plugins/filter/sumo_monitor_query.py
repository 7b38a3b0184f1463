"""Jinja filters that render the slow-/api/data monitor query and name its trigger field (see sumologic_query)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_query import (
    monitor_trigger_field,
    render_monitor_query,
)


def sumo_monitor_query(settings: Mapping[str, Any]) -> str:
    try:
        return render_monitor_query(settings)
    except ValueError as error:
        raise AnsibleFilterError(f"sumo_monitor_query: {error}") from error


def sumo_monitor_trigger_field(settings: Mapping[str, Any]) -> str:
    try:
        return monitor_trigger_field(settings)
    except ValueError as error:
        raise AnsibleFilterError(f"sumo_monitor_trigger_field: {error}") from error


class FilterModule:
    """autoremediation.sumo_aws.sumo_monitor_query and .sumo_monitor_trigger_field."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"sumo_monitor_query": sumo_monitor_query, "sumo_monitor_trigger_field": sumo_monitor_trigger_field}
