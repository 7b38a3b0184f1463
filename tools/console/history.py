"""`remediation history`: each alert as one timeline, assembled from the function's decision lines, the runbook's
executions and the state table: received → decision and reason → execution (steps, outcome) → notifications →
verification, with the ids to open in the AWS console."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tools.console.aws import Aws
from tools.console.deployment import Deployment
from tools.console.executions import Execution, find_execution
from tools.console.function_logs import DecisionLine, read_decisions
from tools.console.state_items import TargetItem, read_state
from tools.console.status import execution_json, verification_of
from tools.console.times import iso

# Log fields that carry the id of an SNS message the function published (app.py's _log calls).
MESSAGE_FIELDS = ("message_id", "escalation")
VERIFYING = {"verified": "verified", "not_fixed": "not fixed"}


@dataclass(frozen=True)
class Notification:
    message_id: str
    sent_by: str  # "function" or "runbook"
    what: str  # the decision that sent it, or "runbook notification"
    execution_id: str = ""


@dataclass
class AlertTimeline:
    """Everything that happened for one alert (Sumo's alert key), in order."""

    alert_id: str
    lines: list[DecisionLine] = field(default_factory=list)
    executions: dict[str, Execution | None] = field(default_factory=dict)  # None: SSM no longer has it
    verification: dict[str, str] = field(default_factory=dict)  # target → verified, not fixed, pending, unknown

    @property
    def targets(self) -> list[str]:
        named = {line.field("target") for line in self.lines if line.field("target")}
        named |= {
            execution.instance_id for execution in self.executions.values() if execution and execution.instance_id
        }
        return sorted(named)

    @property
    def execution_ids(self) -> list[str]:
        return list(dict.fromkeys(line.execution_id for line in self.lines if line.execution_id))

    @property
    def notifications(self) -> list[Notification]:
        sent = [
            Notification(line.field(name), "function", line.decision, line.execution_id)
            for line in self.lines
            for name in MESSAGE_FIELDS
            if line.field(name)
        ]
        sent += [
            Notification(execution.notification_message_id, "runbook", "runbook notification", execution.execution_id)
            for execution in self.executions.values()
            if execution and execution.notification_message_id and execution.notification_message_id != "none"
        ]
        return sent

    def first(self, name: str) -> str:
        """A field of the first line that has it (the received line carries the monitor's name and trigger)."""
        return next((line.field(name) for line in self.lines if line.field(name)), "")

    def as_json(self, deployment: Deployment) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "monitor_name": self.first("monitor_name") or None,
            "trigger_type": self.first("trigger_type") or None,
            "first_seen_utc": iso(self.lines[0].at) if self.lines else None,
            "targets": self.targets,
            "decisions": [line_json(line) for line in self.lines],
            "executions": [
                {**execution_json(execution), "console_url": execution_url(deployment, execution.execution_id)}
                if execution
                else {"execution_id": execution_id, "status": "not found"}
                for execution_id, execution in self.executions.items()
            ],
            "notifications": [vars(notification) for notification in self.notifications],
            "verification": [{"target": target, "state": state} for target, state in self.verification.items()],
        }


def line_json(line: DecisionLine) -> dict[str, Any]:
    shown = {
        "at_utc": iso(line.at),
        "decision": line.decision,
        "target": line.field("target") or None,
        "reason": line.field("reason") or None,
        "execution_id": line.execution_id or None,
        "message_id": next((line.field(name) for name in MESSAGE_FIELDS if line.field(name)), None),
        "request_id": line.request_id or None,
    }
    return {key: value for key, value in shown.items() if value is not None}


def execution_url(deployment: Deployment, execution_id: str) -> str | None:
    """The execution's page in the AWS console (None on the twin, which has no console)."""
    if deployment.endpoint_url:
        return None
    region = deployment.region
    return (
        f"https://{region}.console.aws.amazon.com/systems-manager/automation/execution/{execution_id}?region={region}"
    )


def log_group_url(deployment: Deployment) -> str | None:
    if deployment.endpoint_url:
        return None
    region, group = deployment.region, quote(quote(deployment.log_group, safe=""), safe="")
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{group}"
    )


def assemble(
    lines: Iterable[DecisionLine], items: Iterable[TargetItem]
) -> tuple[list[AlertTimeline], list[DecisionLine]]:
    """Timelines by alert, in the order of their first line, and the lines of no alert (rejected requests and the
    like). A start's verification is the verified / not_fixed line of its execution (a resolution arrives as an
    alert of its own, a NOT FIXED timer under the alert it verifies), else its target's state item while that still
    holds this alert's decision, else unknown."""
    lines = list(lines)
    timelines: dict[str, AlertTimeline] = {}
    unattributed: list[DecisionLine] = []
    for line in lines:
        if line.alert_id:
            timelines.setdefault(line.alert_id, AlertTimeline(line.alert_id)).lines.append(line)
        else:
            unattributed.append(line)
    judged = {
        line.execution_id: VERIFYING[line.decision]
        for line in lines
        if line.decision in VERIFYING and line.execution_id
    }
    by_target = {item.label: item for item in items}
    for timeline in timelines.values():
        for line in timeline.lines:
            target = line.field("target")
            if not target:
                continue
            if line.decision in VERIFYING:
                timeline.verification[target] = VERIFYING[line.decision]
            elif line.decision == "started":
                item = by_target.get(target)
                held = verification_of(item) if item is not None and item.alert_key == timeline.alert_id else None
                timeline.verification.setdefault(target, judged.get(line.execution_id or "-") or held or "unknown")
    return list(timelines.values()), unattributed


@dataclass(frozen=True)
class HistoryReport:
    deployment: Deployment
    since: float
    instance: str | None
    timelines: list[AlertTimeline]
    unattributed: list[DecisionLine]

    def as_json(self) -> dict[str, Any]:
        return {
            "since_utc": iso(self.since),
            "instance": self.instance,
            "log_group": self.deployment.log_group,
            "log_group_url": log_group_url(self.deployment),
            "alerts": [timeline.as_json(self.deployment) for timeline in self.timelines],
            "other_decisions": [line_json(line) for line in self.unattributed],
        }


def read_history(
    aws: Aws,
    since: float,
    instance: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> HistoryReport:
    """The timelines of the alerts the function logged since `since` (CloudWatch's time), for one instance if given."""
    progress("reading the function's decisions")
    lines = read_decisions(aws, since)
    progress("reading the state table")
    timelines, unattributed = assemble(lines, read_state(aws).targets)
    if instance:
        timelines = [timeline for timeline in timelines if instance in timeline.targets]
        unattributed = [line for line in unattributed if line.field("target") == instance]
    for timeline in timelines:
        for execution_id in timeline.execution_ids:
            progress(f"reading execution {execution_id}")
            timeline.executions[execution_id] = find_execution(aws, execution_id)
    return HistoryReport(aws.deployment, since, instance, timelines, unattributed)
