"""The runbook's executions (SSM Automation) as the console shows them: status, what the runbook did and said
(its recordOutcome outputs), its steps, and the execution a target's last decision started."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tools.console.aws import Aws
from tools.console.errors import ConsoleError
from tools.console.state_items import TargetItem

# The runbook's outputs (ssm_documents/remediate-ec2-instance.yaml, `outputs:`).
OUTCOME, ACTION_TAKEN, NOTIFICATION = (
    "recordOutcome.Outcome",
    "recordOutcome.ActionTaken",
    "recordOutcome.NotificationMessageId",
)
# How much earlier than the decision an execution's start may be stamped (clocks of different services).
_CLOCK_SLACK_SECONDS = 60
# At most this many executions are opened to find a target's last one.
_MAX_CANDIDATES = 50


@dataclass(frozen=True)
class Step:
    name: str
    status: str


@dataclass(frozen=True)
class Execution:
    execution_id: str
    status: str
    started_at: float | None
    ended_at: float | None
    instance_id: str | None
    alert_id: str | None
    dry_run: bool
    outcome: str | None
    action_taken: str | None
    notification_message_id: str | None
    failure_message: str | None
    steps: tuple[Step, ...]

    @classmethod
    def from_wire(cls, execution: dict[str, Any]) -> Execution:
        parameters = execution.get("Parameters") or {}
        outputs = execution.get("Outputs") or {}
        return cls(
            execution_id=str(execution["AutomationExecutionId"]),
            status=str(execution.get("AutomationExecutionStatus", "unknown")),
            started_at=_epoch(execution.get("ExecutionStartTime")),
            ended_at=_epoch(execution.get("ExecutionEndTime")),
            instance_id=_first(parameters.get("InstanceId")),
            alert_id=_first(parameters.get("AlertId")),
            dry_run=_first(parameters.get("DryRun")) == "true",
            outcome=_output(outputs, OUTCOME),
            action_taken=_output(outputs, ACTION_TAKEN),
            notification_message_id=_output(outputs, NOTIFICATION),
            failure_message=execution.get("FailureMessage") or None,
            steps=tuple(
                Step(str(step.get("StepName", "?")), str(step.get("StepStatus", "?")))
                for step in execution.get("StepExecutions") or []
            ),
        )

    @property
    def failed_steps(self) -> list[str]:
        return [step.name for step in self.steps if step.status in ("Failed", "TimedOut", "Cancelled")]


def read_execution(aws: Aws, execution_id: str) -> Execution:
    with aws.about(f"the runbook execution {execution_id}"):
        answer = aws.client("ssm").get_automation_execution(AutomationExecutionId=execution_id)
    return Execution.from_wire(answer["AutomationExecution"])


def find_execution(aws: Aws, execution_id: str) -> Execution | None:
    """The execution, or None when SSM no longer has it (it keeps executions for 30 days)."""
    try:
        return read_execution(aws, execution_id)
    except ConsoleError as error:
        if error.code == "AutomationExecutionNotFoundException":
            return None
        raise


def last_execution(aws: Aws, target: TargetItem) -> Execution | None:
    """The execution the target's last decision started: SSM keeps no ClientToken to look it up by, so the newest
    execution of the runbook since the decision whose AlertId (and InstanceId, for one instance) match the decided
    request's. None when it started none (yet), e.g. while its start is being retried."""
    alert_id = target.start_parameter("AlertId") or target.alert_key
    instance_id = target.start_parameter("InstanceId")
    if not alert_id or target.decided_at is None:
        return None
    document = aws.deployment.document
    since = datetime.fromtimestamp(target.decided_at - _CLOCK_SLACK_SECONDS, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    filters = [
        {"Key": "DocumentNamePrefix", "Values": [document]},
        {"Key": "StartTimeAfter", "Values": [since]},
    ]
    candidates: list[dict[str, Any]] = []
    with aws.about(f"the executions of the runbook {document}"):
        for page in aws.client("ssm").get_paginator("describe_automation_executions").paginate(Filters=filters):
            candidates.extend(
                summary
                for summary in page.get("AutomationExecutionMetadataList", [])
                if summary.get("DocumentName") == document and not summary.get("ParentAutomationExecutionId")
            )
    candidates.sort(key=lambda summary: _epoch(summary.get("ExecutionStartTime")) or 0.0, reverse=True)
    for summary in candidates[:_MAX_CANDIDATES]:
        execution = read_execution(aws, str(summary["AutomationExecutionId"]))
        if execution.alert_id == alert_id and (instance_id is None or execution.instance_id == instance_id):
            return execution
    return None


def _first(values: Any) -> str | None:
    return str(values[0]) if isinstance(values, list) and values else None


def _output(outputs: dict[str, Any], name: str) -> str | None:
    value = _first(outputs.get(name))
    # SSM's placeholder for an output whose step has not succeeded (yet).
    if value is None or value.startswith("No output available yet"):
        return None
    return value


def _epoch(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return None
