"""The runbook starts a stopped instance whose EBS volumes use a customer-managed KMS key.

Ledger (docs/twin-fidelity.md): "A start with volumes on a customer-managed KMS key needs kms:CreateGrant". EC2
accepts the StartInstances call whether or not the caller may let it use the key; without `kms:CreateGrant` the
instance goes pending, then stopped with `Client.InternalError: Client error on launch`. The runbook must notice at
once and say why, not wait 15 minutes for status checks that never come and report a timeout.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest

from tests.runbook.harness import RunbookHarness
from tests.runbook.test_runbook_on_twin import REASON, check_notification

pytestmark = [pytest.mark.twin, pytest.mark.slow]

REGION = "us-east-1"
KEY_ARN = f"arn:aws:kms:{REGION}:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
LAUNCH_ERROR = {"code": "Client.InternalError", "message": "Client.InternalError: Client error on launch"}
# What waitInstanceStatusOk would wait before reporting a timeout.
INSTANCE_CHECK_WAIT_SECONDS = 900
SSM_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
RUNBOOK_PERMISSIONS = [
    {
        "Effect": "Allow",
        "Action": ["ec2:DescribeInstances", "ec2:DescribeInstanceStatus", "ec2:RebootInstances", "ec2:StartInstances"],
        "Resource": "*",
    },
    {"Effect": "Allow", "Action": ["sns:Publish", "ssm:DescribeAutomationStepExecutions"], "Resource": "*"},
]
# The statement roles/remediation_iam adds for remediation_iam_ebs_kms_key_arns: [KEY_ARN].
EBS_KEY_GRANT = {
    "Effect": "Allow",
    "Action": "kms:CreateGrant",
    "Resource": [KEY_ARN],
    "Condition": {
        "StringEquals": {"kms:ViaService": f"ec2.{REGION}.amazonaws.com"},
        "Bool": {"kms:GrantIsForAWSResource": True},
    },
}


def automation_role(runbook: RunbookHarness, *statements: dict[str, Any]) -> str:
    """A role SSM may assume, with the runbook's permissions and `statements`; returns its ARN."""
    iam = runbook.twin.client("iam")
    name = f"remediation-automation-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(SSM_TRUST))["Role"]["Arn"]
    policy = {"Version": "2012-10-17", "Statement": [*RUNBOOK_PERMISSIONS, *statements]}
    iam.put_role_policy(RoleName=name, PolicyName="automation", PolicyDocument=json.dumps(policy))
    return arn


def stopped_instance_on_the_key(runbook: RunbookHarness) -> str:
    instance_id = runbook.stopped_instance()
    runbook.twin.control.encrypt_volumes(instance_id, KEY_ARN)
    return instance_id


def seconds_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds()


def test_a_start_that_ec2_cannot_complete_fails_at_once_with_its_state_reason(runbook: RunbookHarness) -> None:
    """Without kms:CreateGrant in the automation role, the start is accepted and the instance falls back to stopped:
    the run fails right after, naming EC2's state reason, long before the status-check wait would have timed out."""
    instance_id = stopped_instance_on_the_key(runbook)
    role_arn = automation_role(runbook)

    execution = runbook.run(InstanceId=instance_id, Reason=REASON, AutomationAssumeRole=role_arn)

    assert execution.status == "Failed"
    assert execution.step("startInstance")["StepStatus"] == "Success"
    assert execution.step("assertStarted")["StepStatus"] == "Failed"
    assert execution.step("readStartFailure")["StepStatus"] == "Success"
    assert not {"waitOneCheckCycle", "waitInstanceStatusOk"} & set(execution.step_names)
    started = execution.step("startInstance")["ExecutionEndTime"]
    notified = execution.step("publishNotification")["ExecutionEndTime"]
    assert seconds_between(started, notified) < INSTANCE_CHECK_WAIT_SECONDS / 3
    assert runbook.state(instance_id) == "stopped"
    message = check_notification(
        runbook, execution, instance_id, previous_state="stopped", action_taken="started", outcome="failed"
    )
    assert message["failed_step"] == "assertStarted"
    assert message["state_reason"] == LAUNCH_ERROR
    assert message["error"] == (
        "EC2 accepted the start, but the instance went back to stopped: Client.InternalError: Client error on launch"
    )
    assert "went back to stopped (Client.InternalError: Client error on launch)" in message["detail"]
    assert "kms:CreateGrant" in message["detail"]
    assert message["verified"] == "none"


def test_a_start_with_the_grant_in_the_automation_role_completes_and_is_verified(runbook: RunbookHarness) -> None:
    """With the statement remediation_iam adds for the key, EC2 can use it: the instance starts and its checks pass."""
    instance_id = stopped_instance_on_the_key(runbook)
    role_arn = automation_role(runbook, EBS_KEY_GRANT)

    execution = runbook.run(InstanceId=instance_id, Reason=REASON, AutomationAssumeRole=role_arn)

    assert execution.status == "Success", execution.failure_message
    assert execution.step("assertStarted")["StepStatus"] == "Success"
    assert "readStartFailure" not in execution.step_names
    assert runbook.state(instance_id) == "running"
    message = check_notification(
        runbook, execution, instance_id, previous_state="stopped", action_taken="started", outcome="success"
    )
    assert message["state_reason"] is None
