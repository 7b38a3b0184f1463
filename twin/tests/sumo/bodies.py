"""Request bodies as a client such as the Terraform provider or our Ansible module sends them."""

from __future__ import annotations

import json
from typing import Any

SLOW_CALLS_QUERY = (
    '_sourceCategory=prod/app "/api/data"\n'
    '| parse regex "\\"(?:GET|POST) (?<path>/api/data)[^\\"]*\\".*response_time=(?<response_time>\\d+)"\n'
    "| num(response_time)\n"
    "| if(response_time > 3000, 1, 0) as is_slow\n"
    "| sum(is_slow) as slow_calls"
)
# The same count written as a filter: it returns no row for a window with traffic but no slow call, so under the
# strict missing-data reading (docs/twin-fidelity.md, "Missing data") it looks like silence.
FILTERED_SLOW_CALLS_QUERY = SLOW_CALLS_QUERY.replace(
    "| if(response_time > 3000, 1, 0) as is_slow\n| sum(is_slow) as slow_calls",
    "| where response_time > 3000\n| count as slow_calls",
)


def connection_body(name: str = "remediation-hook", url: str = "https://hooks.example.com/alert", **extra: Any) -> dict:
    body = {
        "type": "WebhookDefinition",
        "name": name,
        "description": "calls the remediation Lambda",
        "url": url,
        "headers": [{"name": "Authorization", "value": "Bearer s3cret-token"}],
        "customHeaders": [{"name": "X-Team", "value": "ops"}],
        "defaultPayload": json.dumps({"name": "{{Name}}", "type": "{{TriggerType}}"}),
        "resolutionPayload": json.dumps({"name": "{{Name}}", "type": "{{TriggerType}}", "resolved": True}),
        "webhookType": "Webhook",
    }
    body.update(extra)
    return body


def logs_triggers(threshold: float = 5, time_range: str = "-10m", field: str | None = "slow_calls") -> list[dict]:
    critical = {
        "detectionMethod": "LogsStaticCondition",
        "triggerType": "Critical",
        "timeRange": time_range,
        "threshold": threshold,
        "thresholdType": "GreaterThan",
    }
    resolved = {**critical, "triggerType": "ResolvedCritical", "thresholdType": "LessThanOrEqual"}
    if field:
        critical["field"] = resolved["field"] = field
    return [critical, resolved]


def missing_data_triggers(time_range: str = "-5m") -> list[dict]:
    return [
        {"detectionMethod": "LogsMissingDataCondition", "triggerType": "MissingData", "timeRange": time_range},
        {"detectionMethod": "LogsMissingDataCondition", "triggerType": "ResolvedMissingData", "timeRange": time_range},
    ]


def monitor_body(
    name: str = "api-data latency",
    query: str = SLOW_CALLS_QUERY,
    triggers: list[dict] | None = None,
    notifications: list[dict] | None = None,
    **extra: Any,
) -> dict:
    body = {
        "type": "MonitorsLibraryMonitor",
        "name": name,
        "description": "slow /api/data calls",
        "monitorType": "Logs",
        "queries": [{"rowId": "A", "query": query}],
        "triggers": logs_triggers() if triggers is None else triggers,
        "notifications": notifications or [],
        "isDisabled": False,
        "groupNotifications": True,
        "evaluationDelay": "0m",
    }
    body.update(extra)
    return body


def webhook_notification(connection_id: str, trigger_types: list[str], **overrides: str) -> dict:
    return {
        "notification": {"connectionType": "Webhook", "connectionId": connection_id, **overrides},
        "runForTriggerTypes": trigger_types,
    }
