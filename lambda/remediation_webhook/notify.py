"""The function's own SNS messages (recovered, escalated): JSON in the runbook's notification style."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .payload import Alert
from .runbook import reason_for

SOURCE = "remediation-webhook"
_MAX_SUBJECT = 99  # SNS: fewer than 100 characters, no line breaks


def recovered_message(alert: Alert, targets: list[str], now: float) -> tuple[str, dict[str, Any]]:
    detail = (
        f"Sumo Logic monitor '{alert.name or alert.monitor_id}' recovered ({alert.trigger_type}); nothing was changed."
    )
    return _subject("Recovered", alert), _message("recovered", detail, alert, targets, now)


def escalation_message(alert: Alert, target: str, retry_at: float, now: float) -> tuple[str, dict[str, Any]]:
    detail = (
        f"Automatic remediation exhausted for {target}, a person is needed: the attempt cap is reached and nothing "
        f"will be rebooted automatically before {_iso(retry_at)}."
    )
    message = _message("escalated", detail, alert, [target], now)
    message["automatic_remediation_resumes_utc"] = _iso(retry_at)
    return f"Remediation exhausted for {target}: a person is needed", message


def publish(sns_client: Any, topic_arn: str, subject: str, message: dict[str, Any]) -> str:
    """Publish one JSON message; returns its MessageId."""
    subject = " ".join(subject.split())[:_MAX_SUBJECT]
    response = sns_client.publish(TopicArn=topic_arn, Subject=subject, Message=json.dumps(message, sort_keys=True))
    return str(response["MessageId"])


def _subject(prefix: str, alert: Alert) -> str:
    return f"{prefix}: {alert.name or alert.monitor_id}"


def _message(outcome: str, detail: str, alert: Alert, targets: list[str], now: float) -> dict[str, Any]:
    # Same field style as the runbook's own notification (outcome, detail, alert_id, reason, timestamp_utc), so one
    # subscriber can read both.
    return {
        "source": SOURCE,
        "outcome": outcome,
        "detail": detail,
        "alert_id": alert.alert_key,
        "reason": reason_for(alert),
        "targets": targets,
        "monitor_id": alert.monitor_id,
        "monitor_name": alert.name,
        "trigger_type": alert.trigger_type,
        "trigger_value": alert.trigger_value,
        "alert_response_url": alert.alert_response_url or None,
        "timestamp_utc": _iso(now),
    }


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
