"""Build and send the StartAutomationExecution request for one alert and one target."""

from __future__ import annotations

import uuid
from typing import Any

from botocore.exceptions import ClientError

from .config import Settings
from .payload import Alert
from .targets import Target

# Fixed namespace: the same alert and target give the same ClientToken in every container and every deployment.
_CLIENT_TOKEN_NAMESPACE = uuid.UUID("6f0c6d3e-2f59-5b8e-9a57-5d1c4b0e7a21")
_MAX_PARAMETER_VALUE = 512


def client_token(alert_key: str, target_label: str) -> str:
    """A UUID derived from the alert and the target, so SSM itself refuses to start the same execution twice."""
    return str(uuid.uuid5(_CLIENT_TOKEN_NAMESPACE, f"{alert_key}|{target_label}"))


def reason_for(alert: Alert) -> str:
    value = f", value {alert.trigger_value}" if alert.trigger_value else ""
    name = alert.name or alert.monitor_id
    return f"Sumo Logic monitor '{name}' raised {alert.trigger_type}{value}"[:_MAX_PARAMETER_VALUE]


def start_request(settings: Settings, alert: Alert, target: Target) -> dict[str, Any]:
    """The full keyword arguments of StartAutomationExecution; every parameter value is a list of strings."""
    parameters = {
        "TopicArn": [settings.topic_arn],
        "AutomationAssumeRole": [settings.automation_role_arn],
        "Reason": [reason_for(alert)],
        "AlertId": [alert.alert_key],  # at most 64 + 1 + 15 characters: inside the runbook's 128
        "DryRun": ["true" if settings.dry_run else "false"],
    }
    request: dict[str, Any] = {
        "DocumentName": settings.document_name,
        "ClientToken": client_token(alert.alert_key, target.label),
    }
    if target.instance_id:
        request["Parameters"] = {"InstanceId": [target.instance_id], **parameters}
    else:
        assert target.tag is not None
        # One execution for the fleet; SSM fans out one child per instance, one at a time, stopping at the first error.
        request.update(
            Parameters=parameters,
            Targets=[{"Key": f"tag:{target.tag.key}", "Values": [target.tag.value]}],
            TargetParameterName="InstanceId",
            MaxConcurrency="1",
            MaxErrors="0",
        )
    return request


def start_execution(ssm_client: Any, request: dict[str, Any]) -> str | None:
    """Start the execution; its id, or None when this request's ClientToken already started one and SSM will not
    say which.

    A ClientToken "can't be reused" (SSM API reference). A reuse with other parameters is IdempotentParameterMismatch;
    what SSM answers to an identical reuse is not documented: the execution the token started, or the same refusal
    (docs/twin-fidelity.md, "A ClientToken can't be reused"). Either way no second execution starts, and the request
    is always identical here (the claim records it), so the refusal means "already started"."""
    try:
        return str(ssm_client.start_automation_execution(**request)["AutomationExecutionId"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "IdempotentParameterMismatch":
            return None
        raise


def action_taken(ssm_client: Any, execution_id: str) -> str:
    """What the runbook did, from its ActionTaken output, for the NOT FIXED message; says so when it cannot be read."""
    try:
        execution = ssm_client.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
    except (ClientError, KeyError) as error:
        code = error.response.get("Error", {}).get("Code", "ClientError") if isinstance(error, ClientError) else "?"
        return f"unknown: the execution could not be read ({code})"
    outputs = execution.get("Outputs") or {}
    action = (outputs.get("recordOutcome.ActionTaken") or [""])[0]
    status = execution.get("AutomationExecutionStatus", "unknown")
    return f"{action or 'no action recorded'}, execution {status}"
