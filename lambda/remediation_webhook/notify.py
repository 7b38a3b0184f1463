"""The function's own SNS messages (recovered, escalation): structured JSON that people and machines both read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .payload import Alert

SOURCE = "remediation-webhook"
_MAX_SUBJECT = 99  # SNS: fewer than 100 characters, no line breaks


def recovered_message(alert: Alert, targets: list[str], now: float) -> tuple[str, dict[str, Any]]:
    summary = f"Sumo Logic monitor '{alert.name or alert.monitor_id}' recovered ({alert.trigger_type})"
    return summary, _message("recovered", summary, alert, targets, now)


def escalation_message(alert: Alert, target: str, retry_at: float, now: float) -> tuple[str, dict[str, Any]]:
    summary = f"Automatic remediation exhausted for {target}, a person is needed"
    message = _message("escalation", summary, alert, [target], now)
    message["automatic_remediation_resumes_at"] = _iso(retry_at)
    return summary, message


def publish(sns_client: Any, topic_arn: str, subject: str, message: dict[str, Any]) -> str:
    """Publish one JSON message; returns its MessageId."""
    subject = " ".join(subject.split())[:_MAX_SUBJECT]
    response = sns_client.publish(TopicArn=topic_arn, Subject=subject, Message=json.dumps(message, sort_keys=True))
    return str(response["MessageId"])


def _message(status: str, summary: str, alert: Alert, targets: list[str], now: float) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "status": status,
        "summary": summary,
        "alert_id": alert.alert_key,
        "monitor_id": alert.monitor_id,
        "monitor_name": alert.name,
        "trigger_type": alert.trigger_type,
        "trigger_value": alert.trigger_value,
        "targets": targets,
        "alert_response_url": alert.alert_response_url,
        "time": _iso(now),
    }


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
