"""aws:approve and aws:pause: steps that wait (execution status Waiting) for SendAutomationSignal."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from emulator.automation.actions.aws_api import call_api
from emulator.automation.actions.base import Action, StepContext, StepFailedError, StepOutcome
from emulator.automation.signals import payload_comment
from emulator.automation.variables import is_variable

MAX_APPROVERS = 10
MAX_MESSAGE_CHARS = 4096
APPROVE_TIMEOUT_SECONDS = 7 * 24 * 3600.0


class Approve(Action):
    name = "aws:approve"
    required_inputs = frozenset({"Approvers"})
    optional_inputs = frozenset({"MinRequiredApprovals", "Message", "NotificationArn"})
    builtin_outputs = frozenset({"ApprovalStatus", "ApproverDecisions"})
    default_timeout_seconds: ClassVar[float | None] = APPROVE_TIMEOUT_SECONDS

    def check_inputs(self, step_name: str, inputs: dict[str, Any], step_names: frozenset[str]) -> list[str]:
        problems = []
        approvers = inputs.get("Approvers")
        if isinstance(approvers, list):
            if not approvers or len(approvers) > MAX_APPROVERS:
                problems.append(f"Approvers must list 1 to {MAX_APPROVERS} approvers, got {len(approvers)}")
        elif not is_variable(approvers):
            problems.append(f"Approvers must be a list, got {approvers!r}")
        minimum = inputs.get("MinRequiredApprovals", 1)
        if not is_variable(minimum):
            if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 1:
                problems.append(f"MinRequiredApprovals must be a positive integer, got {minimum!r}")
            elif isinstance(approvers, list) and minimum > len(approvers):
                problems.append(f"MinRequiredApprovals {minimum} exceeds the {len(approvers)} approver(s)")
        message = inputs.get("Message", "")
        if isinstance(message, str) and len(message) > MAX_MESSAGE_CHARS:
            problems.append(f"Message is {len(message)} characters; the maximum is {MAX_MESSAGE_CHARS}")
        return problems

    def execute(self, inputs: dict[str, Any], context: StepContext) -> StepOutcome:
        approvers = inputs["Approvers"]
        approvers = [approvers] if isinstance(approvers, str) else approvers
        try:
            required = int(inputs.get("MinRequiredApprovals", 1))
        except (TypeError, ValueError):
            raise StepFailedError(
                f"MinRequiredApprovals {inputs.get('MinRequiredApprovals')!r} is not an integer"
            ) from None
        if inputs.get("NotificationArn"):
            self._notify(inputs, approvers, context)
        decisions: list[dict[str, Any]] = []
        approvals = 0
        while approvals < required:
            signal = context.wait_for_signal(frozenset({"Approve", "Reject"}))
            decision = "Approved" if signal.signal_type == "Approve" else "Rejected"
            decisions.append(
                {
                    "Approver": signal.sender,
                    "Decision": decision,
                    "Comment": payload_comment(signal.payload),
                    "ApprovalDate": context.clock.utcnow().isoformat(),
                }
            )
            if decision == "Rejected":
                comment = payload_comment(signal.payload)
                raise StepFailedError(
                    f"Step {context.step_name} was rejected by {signal.sender}: {comment}".strip(" :"),
                    outputs={"ApprovalStatus": "Rejected", "ApproverDecisions": decisions},
                )
            approvals += 1
        return StepOutcome(outputs={"ApprovalStatus": "Approved", "ApproverDecisions": decisions})

    def _notify(self, inputs: dict[str, Any], approvers: list[str], context: StepContext) -> None:
        execution_id = context.scope.execution_id
        message = {
            "AutomationExecutionId": execution_id,
            "StepName": context.step_name,
            "Message": inputs.get("Message", ""),
            "Approvers": approvers,
            "MinRequiredApprovals": inputs.get("MinRequiredApprovals", 1),
            "Instructions": f"Approve or reject with SendAutomationSignal on execution {execution_id}",
        }
        call_api(
            context.client_factory,
            "sns",
            "Publish",
            {
                "TopicArn": inputs["NotificationArn"],
                "Subject": "Automation approval required",
                "Message": json.dumps(message),
            },
        )


class Pause(Action):
    name = "aws:pause"

    def execute(self, inputs: dict[str, Any], context: StepContext) -> StepOutcome:
        context.wait_for_signal(frozenset({"Resume"}))
        return StepOutcome()
