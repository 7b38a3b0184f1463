"""A start of an instance whose EBS volumes use a customer-managed KMS key completes only for a caller allowed
kms:CreateGrant on the key; otherwise EC2 accepts it, and the instance goes pending, then stopped.

Ledger (docs/twin-fidelity.md): "A start with volumes on a customer-managed KMS key needs kms:CreateGrant".
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pytest

from emulator.control_client import EncryptedVolumes, TwinControlError
from emulator.testing import REGION, RunningTwin
from tests.aws.conftest import raw_control

pytestmark = pytest.mark.twin

# An AMI in moto's default image list.
MOTO_AMI_ID = "ami-12c6146b"
ACCOUNT_ID = "123456789012"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
EC2_VIA = f"ec2.{REGION}.amazonaws.com"
LAUNCH_ERROR = {"Code": "Client.InternalError", "Message": "Client.InternalError: Client error on launch"}
SSM_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(action: str | list[str] = "kms:CreateGrant", resource: str = KEY_ARN, **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


START_ONLY = _allow(["ec2:StartInstances", "ec2:DescribeInstances"], "*")
# What remediation_iam grants with remediation_iam_ebs_kms_key_arns set.
PRODUCT_GRANT = _allow(StringEquals={"kms:ViaService": EC2_VIA}, Bool={"kms:GrantIsForAWSResource": True})


class Role:
    """A role in the twin's IAM, and EC2 clients signed with a session of it (STS AssumeRole, as SSM gets one)."""

    def __init__(self, twin: RunningTwin, *inline: dict[str, Any], attached: dict[str, Any] | None = None) -> None:
        iam = twin.client("iam")
        self.name = f"cmk-start-{uuid.uuid4().hex[:8]}"
        self.arn = iam.create_role(RoleName=self.name, AssumeRolePolicyDocument=json.dumps(SSM_TRUST))["Role"]["Arn"]
        for index, document in enumerate(inline):
            iam.put_role_policy(RoleName=self.name, PolicyName=f"inline-{index}", PolicyDocument=json.dumps(document))
        if attached is not None:
            policy_arn = iam.create_policy(PolicyName=f"{self.name}-attached", PolicyDocument=json.dumps(attached))
            iam.attach_role_policy(RoleName=self.name, PolicyArn=policy_arn["Policy"]["Arn"])
        credentials = twin.client("sts").assume_role(RoleArn=self.arn, RoleSessionName="test-session")["Credentials"]
        self.ec2 = boto3.client(
            "ec2",
            endpoint_url=twin.aws_url,
            region_name=REGION,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )


def _instance(twin: RunningTwin, instance_id: str) -> dict[str, Any]:
    return twin.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def _stopped_instance_on_the_key(twin: RunningTwin, slow_ec2: dict[str, float]) -> str:
    ec2 = twin.client("ec2")
    instance_id = ec2.run_instances(ImageId=MOTO_AMI_ID, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    twin.clock(advance_seconds=slow_ec2["pending_seconds"] + 1)
    ec2.stop_instances(InstanceIds=[instance_id])
    twin.clock(advance_seconds=slow_ec2["stopping_seconds"] + 1)
    assert _instance(twin, instance_id)["State"]["Name"] == "stopped"
    twin.control.encrypt_volumes(instance_id, KEY_ARN)
    return instance_id


def _start_and_settle(twin: RunningTwin, ec2: Any, instance_id: str, slow_ec2: dict[str, float]) -> dict[str, Any]:
    """Start the instance with `ec2`; check the call succeeded and left it pending; answer it after pending time."""
    starting = ec2.start_instances(InstanceIds=[instance_id])["StartingInstances"][0]
    assert (starting["PreviousState"]["Name"], starting["CurrentState"]["Name"]) == ("stopped", "pending")
    assert _instance(twin, instance_id)["State"]["Name"] == "pending"
    twin.clock(advance_seconds=slow_ec2["pending_seconds"] + 1)
    return _instance(twin, instance_id)


def test_a_start_without_the_grant_is_accepted_then_falls_back_to_stopped_with_the_launch_error(
    aws: RunningTwin, slow_ec2: dict[str, float]
) -> None:
    instance_id = _stopped_instance_on_the_key(aws, slow_ec2)
    role = Role(aws, _policy(START_ONLY))

    settled = _start_and_settle(aws, role.ec2, instance_id, slow_ec2)

    assert settled["State"]["Name"] == "stopped"
    assert settled["StateReason"] == LAUNCH_ERROR
    assert settled["StateTransitionReason"] == "Client.InternalError: Client error on launch"
    assert [event["action"] for event in aws.control.power_history(instance_id)["events"]][-1] == "start"


def test_a_start_by_a_caller_that_is_no_role_session_fails_the_same_way(
    aws: RunningTwin, slow_ec2: dict[str, float]
) -> None:
    """The twin's default credentials name no role: the twin cannot show the grant is allowed (the stricter reading)."""
    instance_id = _stopped_instance_on_the_key(aws, slow_ec2)

    settled = _start_and_settle(aws, aws.client("ec2"), instance_id, slow_ec2)

    assert (settled["State"]["Name"], settled["StateReason"]) == ("stopped", LAUNCH_ERROR)


ALLOWING = {
    "the product's statement": {"inline": [_policy(START_ONLY, PRODUCT_GRANT)]},
    "kms:* on every key, attached": {"inline": [_policy(START_ONLY)], "attached": _policy(_allow("kms:*", "*"))},
    "a wildcard key ARN": {
        "inline": [_policy(START_ONLY, _allow(resource=f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/*"))]
    },
    "ViaService by StringLike": {"inline": [_policy(START_ONLY, _allow(StringLike={"kms:ViaService": "ec2.*"}))]},
}
REFUSING = {
    "another key": {"inline": [_policy(START_ONLY, _allow(resource=KEY_ARN.replace("1234abcd", "99999999")))]},
    "another action": {"inline": [_policy(START_ONLY, _allow("kms:Decrypt"))]},
    "ViaService of another service": {
        "inline": [_policy(START_ONLY, _allow(StringEquals={"kms:ViaService": f"rds.{REGION}.amazonaws.com"}))]
    },
    "a condition the twin cannot evaluate": {
        "inline": [_policy(START_ONLY, _allow(**{"ForAllValues:StringEquals": {"kms:GrantOperations": ["Decrypt"]}}))]
    },
    "an explicit deny": {
        "inline": [_policy(START_ONLY, PRODUCT_GRANT), _policy({**_allow("kms:*", "*"), "Effect": "Deny"})]
    },
}


@pytest.mark.parametrize("policies", list(ALLOWING.values()), ids=list(ALLOWING))
def test_a_start_by_a_role_allowed_to_grant_on_the_key_completes(
    aws: RunningTwin, slow_ec2: dict[str, float], policies: dict[str, Any]
) -> None:
    instance_id = _stopped_instance_on_the_key(aws, slow_ec2)
    role = Role(aws, *policies["inline"], attached=policies.get("attached"))

    settled = _start_and_settle(aws, role.ec2, instance_id, slow_ec2)

    assert settled["State"]["Name"] == "running"
    assert not settled.get("StateReason", {}).get("Code")


@pytest.mark.parametrize("policies", list(REFUSING.values()), ids=list(REFUSING))
def test_a_start_by_a_role_not_allowed_to_grant_on_the_key_falls_back_to_stopped(
    aws: RunningTwin, slow_ec2: dict[str, float], policies: dict[str, Any]
) -> None:
    instance_id = _stopped_instance_on_the_key(aws, slow_ec2)
    role = Role(aws, *policies["inline"], attached=policies.get("attached"))

    settled = _start_and_settle(aws, role.ec2, instance_id, slow_ec2)

    assert (settled["State"]["Name"], settled["StateReason"]) == ("stopped", LAUNCH_ERROR)


def test_the_grant_is_checked_at_each_start(aws: RunningTwin, slow_ec2: dict[str, float]) -> None:
    """A start that failed for want of the grant succeeds once the role has it: nothing sticks to the instance."""
    instance_id = _stopped_instance_on_the_key(aws, slow_ec2)
    role = Role(aws, _policy(START_ONLY))
    assert _start_and_settle(aws, role.ec2, instance_id, slow_ec2)["State"]["Name"] == "stopped"
    aws.client("iam").put_role_policy(
        RoleName=role.name, PolicyName="grant", PolicyDocument=json.dumps(_policy(PRODUCT_GRANT))
    )

    assert _start_and_settle(aws, role.ec2, instance_id, slow_ec2)["State"]["Name"] == "running"


def test_a_start_without_customer_managed_keys_needs_no_grant(aws: RunningTwin, slow_ec2: dict[str, float]) -> None:
    ec2 = aws.client("ec2")
    instance_id = ec2.run_instances(ImageId=MOTO_AMI_ID, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    aws.clock(advance_seconds=slow_ec2["pending_seconds"] + 1)
    ec2.stop_instances(InstanceIds=[instance_id])
    aws.clock(advance_seconds=slow_ec2["stopping_seconds"] + 1)

    assert _start_and_settle(aws, ec2, instance_id, slow_ec2)["State"]["Name"] == "running"


def test_the_volumes_report_the_key(aws: RunningTwin, slow_ec2: dict[str, float]) -> None:
    instance_id = _stopped_instance_on_the_key(aws, slow_ec2)
    volume_ids = [mapping["Ebs"]["VolumeId"] for mapping in _instance(aws, instance_id)["BlockDeviceMappings"]]

    volumes = aws.client("ec2").describe_volumes(VolumeIds=volume_ids)["Volumes"]

    assert volume_ids
    assert [(volume["Encrypted"], volume["KmsKeyId"]) for volume in volumes] == [(True, KEY_ARN)] * len(volume_ids)
    answer = aws.control.encrypt_volumes(instance_id, KEY_ARN)
    assert set(answer) == EncryptedVolumes.__required_keys__
    assert answer == {
        "instance_id": instance_id,
        "kms_key_arn": KEY_ARN,
        "volume_ids": sorted(volume_ids),
    }


def _body(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


SOME_ID = "i-0123456789abcdef0"
BAD_BODIES = {
    "not an object": (b"[]", "body"),
    "no instance id": (_body(kms_key_arn=KEY_ARN), "instance_id"),
    "a volume id": (_body(instance_id="vol-0123456789abcdef0", kms_key_arn=KEY_ARN), "instance_id"),
    "no key": (_body(instance_id=SOME_ID), "kms_key_arn"),
    "an alias": (_body(instance_id=SOME_ID, kms_key_arn=KEY_ARN.replace("key/", "alias/")), "kms_key_arn"),
    "a key of another region": (
        _body(instance_id=SOME_ID, kms_key_arn=KEY_ARN.replace(REGION, "eu-west-1")),
        "kms_key_arn",
    ),
    "an unknown field": (_body(instance_id=SOME_ID, kms_key_arn=KEY_ARN, key="x"), "key"),
}


@pytest.mark.parametrize(("body", "field"), list(BAD_BODIES.values()), ids=list(BAD_BODIES))
def test_a_bad_body_is_refused_naming_the_field(aws: RunningTwin, body: bytes, field: str) -> None:
    status, answer = raw_control(aws, "POST", "/_twin/ec2/volume-encryption", body)

    assert (status, answer["field"]) == (400, field)
    assert answer["error"]


def test_an_unknown_instance_is_refused_by_name(aws: RunningTwin) -> None:
    with pytest.raises(TwinControlError) as refused:
        aws.control.encrypt_volumes(SOME_ID, KEY_ARN)

    assert (refused.value.status, refused.value.field) == (404, "instance_id")
    assert f"no instance {SOME_ID} in {REGION}" in str(refused.value)


AS_THE_ASSUME_ROLE = """
schemaVersion: "0.3"
description: Who am I?
assumeRole: "{{ AutomationAssumeRole }}"
parameters:
  AutomationAssumeRole:
    type: String
    description: The role.
    default: ""
mainSteps:
  - name: whoAmI
    action: aws:executeAwsApi
    isEnd: true
    inputs:
      Service: sts
      Api: GetCallerIdentity
    outputs:
      - Name: Arn
        Selector: $.Arn
        Type: String
"""


def test_automation_steps_act_as_the_documents_assume_role(aws: RunningTwin) -> None:
    """The engine assumes the document's role through STS, as SSM does, so EC2 sees that role as the caller."""
    role = Role(aws, _policy(START_ONLY))
    ssm = aws.client("ssm")
    name = f"WhoAmI-{uuid.uuid4().hex[:8]}"
    ssm.create_document(Content=AS_THE_ASSUME_ROLE, Name=name, DocumentType="Automation", DocumentFormat="YAML")

    execution_id = ssm.start_automation_execution(DocumentName=name, Parameters={"AutomationAssumeRole": [role.arn]})[
        "AutomationExecutionId"
    ]
    execution = _finished(aws, execution_id)

    assert execution["AutomationExecutionStatus"] == "Success", execution.get("FailureMessage")
    [step] = execution["StepExecutions"]
    assert step["Outputs"]["Arn"] == [f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role.name}/{execution_id}"]


def test_an_assume_role_that_cannot_be_assumed_fails_the_execution_before_its_first_step(
    aws: RunningTwin, no_faults: None
) -> None:
    role = Role(aws, _policy(START_ONLY))
    ssm = aws.client("ssm")
    name = f"WhoAmI-{uuid.uuid4().hex[:8]}"
    ssm.create_document(Content=AS_THE_ASSUME_ROLE, Name=name, DocumentType="Automation", DocumentFormat="YAML")
    aws.control.add_fault(service="sts", operation="AssumeRole", error_code="AccessDenied", times=1)

    execution_id = ssm.start_automation_execution(DocumentName=name, Parameters={"AutomationAssumeRole": [role.arn]})[
        "AutomationExecutionId"
    ]
    execution = _finished(aws, execution_id)

    assert execution["AutomationExecutionStatus"] == "Failed"
    assert execution["FailureMessage"].startswith(f"The defined assume role is unable to be assumed: {role.arn}")
    assert "AccessDenied" in execution["FailureMessage"]
    assert execution["StepExecutions"] == []


def _finished(aws: RunningTwin, execution_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        execution = aws.client("ssm").get_automation_execution(AutomationExecutionId=execution_id)[
            "AutomationExecution"
        ]
        if execution["AutomationExecutionStatus"] in {"Success", "Failed", "TimedOut", "Cancelled"}:
            return execution
        time.sleep(0.05)
    raise AssertionError(f"execution {execution_id} did not finish within 60 s")
