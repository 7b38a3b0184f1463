"""Pollers that turn the twin's state into timeline events: one per hop of the chain."""

from __future__ import annotations

import json
from typing import Any

from demo.timeline import Timeline
from emulator.control_client import TwinControl


class SumoDeliveries:
    """Monitor firings and resolutions, as the local Sumo's webhook deliveries record them."""

    def __init__(self, control: TwinControl, timeline: Timeline) -> None:
        self._control = control
        self._timeline = timeline
        self._seen = 0

    def poll(self) -> None:
        for delivery in self._control.sumo_deliveries(since=self._seen):
            self._seen = max(self._seen, int(delivery.get("index", self._seen)) + 1)
            payload = delivery.get("payload")
            if isinstance(payload, str):
                try:
                    payload = json.loads(payload)
                except ValueError:
                    payload = {"raw": payload}
            trigger = delivery.get("triggerType", (payload or {}).get("TriggerType", "?"))
            value = (payload or {}).get("TriggerValue", "")
            verb = "resolved" if str(trigger).startswith("Resolved") else "fired"
            self._timeline.emit(
                "sumo",
                f"monitor {verb}: {trigger}{f' (value {value})' if value else ''}"
                f" -> webhook answered {delivery.get('statusCode')}",
                trigger_type=trigger,
                status_code=delivery.get("statusCode"),
                payload=payload,
            )


class LambdaDecisions:
    """The webhook Lambda's structured log lines: one per decision."""

    def __init__(self, logs: Any, log_group: str, timeline: Timeline) -> None:
        self._logs = logs
        self._group = log_group
        self._timeline = timeline
        self._seen: set[str] = set()

    def poll(self) -> None:
        try:
            events = self._logs.filter_log_events(logGroupName=self._group).get("events", [])
        except self._logs.exceptions.ResourceNotFoundException:
            return
        for event in events:
            if event["eventId"] in self._seen:
                continue
            self._seen.add(event["eventId"])
            try:
                record = json.loads(event["message"])
            except ValueError:
                continue
            if not isinstance(record, dict) or ("decision" not in record and "message" not in record):
                continue
            decision = record.get("decision") or record.get("message")
            details = {
                key: record[key] for key in ("alert_id", "execution_id", "instance_id", "reason") if record.get(key)
            }
            text = f"{decision}" + "".join(f" {key}={value}" for key, value in details.items())
            self._timeline.emit("lambda", text, decision=decision, **details)


class RunbookSteps:
    """Each step of each runbook execution, when it starts and when it ends."""

    def __init__(self, ssm: Any, document_name: str, timeline: Timeline) -> None:
        self._ssm = ssm
        self._document = document_name
        self._timeline = timeline
        self._step_status: dict[tuple[str, str], str] = {}
        self._execution_status: dict[str, str] = {}

    def poll(self) -> None:
        executions = self._ssm.describe_automation_executions(
            Filters=[{"Key": "DocumentNamePrefix", "Values": [self._document]}]
        )["AutomationExecutionMetadataList"]
        for execution in sorted(executions, key=lambda item: item.get("ExecutionStartTime", 0)):
            execution_id = execution["AutomationExecutionId"]
            for step in self._ssm.describe_automation_step_executions(AutomationExecutionId=execution_id)[
                "StepExecutions"
            ]:
                key = (execution_id, step.get("StepExecutionId", step["StepName"]))
                status = step.get("StepStatus", "")
                if self._step_status.get(key) != status:
                    self._step_status[key] = status
                    failure = f": {step['FailureMessage']}" if step.get("FailureMessage") else ""
                    self._timeline.emit(
                        "runbook",
                        f"{step['StepName']} {status}{failure}",
                        execution_id=execution_id,
                        step=step["StepName"],
                    )
            status = execution.get("AutomationExecutionStatus", "")
            if self._execution_status.get(execution_id) != status:
                self._execution_status[execution_id] = status
                self._timeline.emit(
                    "runbook", f"execution {execution_id[:8]}… {status}", execution_id=execution_id, status=status
                )


class InstanceState:
    """The instance's state and status checks, whenever a poll sees them change (narration only: a short dip can
    fall between two polls on a busy machine, so nothing that must happen depends on seeing it)."""

    def __init__(self, ec2: Any, instance_id: str, timeline: Timeline) -> None:
        self._ec2 = ec2
        self.instance_id = instance_id
        self._timeline = timeline
        self.current = ("unknown", "unknown")

    def read(self) -> tuple[str, str]:
        statuses = self._ec2.describe_instance_status(InstanceIds=[self.instance_id], IncludeAllInstances=True)[
            "InstanceStatuses"
        ]
        if not statuses:
            return ("unknown", "unknown")
        status = statuses[0]
        state = status["InstanceState"]["Name"]
        checks = "ok"
        for kind in ("InstanceStatus", "SystemStatus"):
            value = status.get(kind, {}).get("Status", "not-applicable")
            if value != "ok":
                checks = value
        return (state, checks if state == "running" else "-")

    def poll(self) -> None:
        reading = self.read()
        if reading == self.current:
            return
        self.current = reading
        state, checks = reading
        self._timeline.emit("ec2", f"{self.instance_id} {state}, status checks {checks}", state=state)


class Notifications:
    """SNS notifications as a subscribed SQS queue receives them."""

    def __init__(self, sqs: Any, queue_url: str, timeline: Timeline) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._timeline = timeline
        self.received: list[dict[str, Any]] = []

    def poll(self) -> None:
        messages = self._sqs.receive_message(QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        for message in messages.get("Messages", []):
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
            envelope = json.loads(message["Body"])
            try:
                body = json.loads(envelope.get("Message", "{}"))
            except ValueError:
                body = {"message": envelope.get("Message")}
            self.received.append({"subject": envelope.get("Subject"), "message": body})
            self._timeline.block("sns", f"notification: {envelope.get('Subject')}", body)
