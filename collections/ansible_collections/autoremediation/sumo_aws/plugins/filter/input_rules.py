"""Jinja filters that apply the deployment's input rules in a role's preflight: '' when a value is fine, else why not.

The rules themselves live in module_utils (input_rules for instance ids and the webhook secret, sumologic_client for
where the Sumo Logic API may be), so a role, a module and a test all read the same definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.input_rules import (
    ec2_instance_id_problem,
    webhook_secret_problem,
)
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_client import resolve_endpoint


def sumo_api_location_problem(
    deployment: Any, endpoint: Any, deployment_name: str = "sumo_deployment", endpoint_name: str = "sumo_api_endpoint"
) -> str:
    """'' when exactly one of a known deployment or an http(s) endpoint ending in /api is given, else why not."""
    try:
        resolve_endpoint(str(deployment or "") or None, str(endpoint or "") or None, (deployment_name, endpoint_name))
    except ValueError as error:
        return str(error)
    return ""


class FilterModule:
    """autoremediation.sumo_aws.ec2_instance_id_problem, .webhook_secret_problem and .sumo_api_location_problem."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "ec2_instance_id_problem": ec2_instance_id_problem,
            "webhook_secret_problem": webhook_secret_problem,
            "sumo_api_location_problem": sumo_api_location_problem,
        }
