"""The function's own SNS messages (recovered, escalated): JSON in the runbook's notification style."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .payload import Alert
from .runbook import reason_for
from .timer import Timer

SOURCE = "remediation-webhook"
_MAX_SUBJECT = 99  # SNS: fewer than 100 characters, no line breaks


@dataclass(frozen=True)
class VerifiedFix:
    """A start that the resolution of its alert verified: the facts the recovered message reports."""

    target: str
    execution_id: str | None  # None when the timer that carried it is gone (it fired, or was never set)
    alert_started_at: int
    acted_at: int
    resolved_at: int
    relapses: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "execution_id": self.execution_id,
            "alert_started_utc": _iso(self.alert_started_at),
            "acted_utc": _iso(self.acted_at),
            "resolved_utc": _iso(self.resolved_at),
            "seconds_alert_to_action": self.acted_at - self.alert_started_at,
            "seconds_action_to_resolution": self.resolved_at - self.acted_at,
            "relapses_in_a_row": self.relapses,
        }


def recovered_message(
    alert: Alert, targets: list[str], now: float, verified: list[VerifiedFix] | None = None
) -> tuple[str, dict[str, Any]]:
    name = alert.name or alert.monitor_id
    verified = verified or []
    if verified:
        fixes = "; ".join(
            f"{fix.target} by execution {fix.execution_id or '(unknown)'}: alert {_iso(fix.alert_started_at)}, "
            f"action {_iso(fix.acted_at)}, resolved {_iso(fix.resolved_at)}"
            for fix in verified
        )
        detail = f"Sumo Logic monitor '{name}' resolved ({alert.trigger_type}): verified, the alert cleared. {fixes}."
    else:
        detail = f"Sumo Logic monitor '{name}' resolved ({alert.trigger_type}); no open remediation was verified by it."
    message = _message("recovered", detail, alert, targets, now)
    message["remediations_verified"] = [fix.as_dict() for fix in verified]
    return _subject("Recovered", alert), message


def not_fixed_message(timer: Timer, action: str, now: float) -> tuple[str, dict[str, Any]]:
    """The one escalation when a remediation's alert is still open at the end of its verification window."""
    detail = (
        f"NOT FIXED: {timer.target} was remediated by execution {timer.execution_id} ({action}) at "
        f"{_iso(timer.acted_at)}, and the alert of Sumo Logic monitor '{timer.monitor_name or timer.monitor_id}' that "
        f"started at {_iso(timer.alert_started_at)} is still open at {_iso(now)}. Automatic remediation of "
        f"{timer.target} is now paused (circuit open) until a person resets it or it stays healthy; a person is needed."
    )
    message = {
        **_timer_message("not_fixed", detail, timer, now),
        "execution_id": timer.execution_id,
        "action_taken": action,
        "acted_utc": _iso(timer.acted_at),
        "alert_still_open": True,
        "automatic_remediation": "paused",
    }
    return f"[remediation] NOT FIXED {timer.target}", message


def start_failed_message(timer: Timer, reason: str, now: float) -> tuple[str, dict[str, Any]]:
    """The escalation when a decided start still fails after every retry."""
    detail = (
        f"The remediation of {timer.target} decided at {_iso(timer.acted_at)} for the alert of Sumo Logic monitor "
        f"'{timer.monitor_name or timer.monitor_id}' never started: StartAutomationExecution failed "
        f"{timer.attempt + 1} times, last with {reason}. Nothing was changed; a person is needed."
    )
    message = {
        **_timer_message("start_failed", detail, timer, now),
        "decided_utc": _iso(timer.acted_at),
        "attempts": timer.attempt + 1,
        "last_error": reason,
    }
    return f"[remediation] START FAILED {timer.target}: a person is needed", message


def relapse_message(alert: Alert, target: str, relapses: int, now: float) -> tuple[str, dict[str, Any]]:
    detail = (
        f"{target} relapsed again after {relapses} verified fixes in a row that did not last: no remediation was "
        f"started, and automatic remediation of {target} is paused (circuit open); a person is needed."
    )
    message = _message("circuit_open", detail, alert, [target], now)
    message["automatic_remediation"] = "paused"
    return f"[remediation] RELAPSING {target}: automatic remediation paused", message


def fleet_message(alert: Alert, instances: list[str], limit: str, now: float) -> tuple[str, dict[str, Any]]:
    detail = (
        f"Fleet-wide problem: the alert names {len(instances)} instances at once ({', '.join(instances)}), over the "
        f"limit of {limit}. Nothing was rebooted: a bad deploy or a dependency that is down is not fixed by "
        "rebooting the fleet; a person is needed."
    )
    message = _message("fleet_wide", detail, alert, instances, now)
    message["automatic_remediation"] = "not started"
    return f"[remediation] FLEET-WIDE problem: {len(instances)} instances alerting", message


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


def _timer_message(outcome: str, detail: str, timer: Timer, now: float) -> dict[str, Any]:
    """The common fields of a message sent when one of the function's timers fired (the alert is not at hand)."""
    return {
        "source": SOURCE,
        "outcome": outcome,
        "detail": detail,
        "alert_id": timer.alert_key,
        "targets": [timer.target],
        "monitor_id": timer.monitor_id,
        "monitor_name": timer.monitor_name,
        "trigger_type": timer.trigger_type,
        "alert_started_utc": _iso(timer.alert_started_at),
        "timestamp_utc": _iso(now),
    }


def _iso(epoch_seconds: float) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
