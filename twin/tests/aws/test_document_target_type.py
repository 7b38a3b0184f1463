"""The document's TargetType travels from CreateDocument to the engine's tag targets; unknown types are refused.

Ledger: docs/twin-fidelity.md, "Tag targets reach every tagged resource unless the document's TargetType narrows
them".
"""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from emulator.testing import RunningTwin

PER_RESOURCE = """schemaVersion: '0.3'
parameters:
  ResourceId: {type: String}
mainSteps:
  - name: readTags
    action: aws:executeAwsApi
    inputs:
      Service: ec2
      Api: DescribeTags
      Filters:
        - {Name: resource-id, Values: ['{{ ResourceId }}']}
"""
IMAGE_ID = "ami-12c6146b"


def _create(aws: RunningTwin, **extra: str) -> str:
    name = f"TargetTyped-{uuid.uuid4().hex[:8]}"
    aws.client("ssm").create_document(
        Content=PER_RESOURCE, Name=name, DocumentType="Automation", DocumentFormat="YAML", **extra
    )
    return name


@pytest.mark.parametrize(("target_type", "kinds"), [(None, {"instance", "volume"}), ("/AWS::EC2::Volume", {"volume"})])
def test_create_documents_target_type_decides_which_tagged_resources_are_targets(
    aws: RunningTwin, target_type: str | None, kinds: set[str]
) -> None:
    ec2, ssm, fleet = aws.client("ec2"), aws.client("ssm"), f"fleet-{uuid.uuid4().hex[:8]}"
    ids = {
        "instance": ec2.run_instances(ImageId=IMAGE_ID, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"],
        "volume": ec2.create_volume(AvailabilityZone="us-east-1a", Size=8)["VolumeId"],
    }
    ec2.create_tags(Resources=list(ids.values()), Tags=[{"Key": "Fleet", "Value": fleet}])
    name = _create(aws, **({"TargetType": target_type} if target_type else {}))

    parent_id = ssm.start_automation_execution(
        DocumentName=name,
        Targets=[{"Key": "tag:Fleet", "Values": [fleet]}],
        TargetParameterName="ResourceId",
        MaxConcurrency="1",
        MaxErrors="0",
    )["AutomationExecutionId"]
    resolved = ssm.get_automation_execution(AutomationExecutionId=parent_id)["AutomationExecution"]["ResolvedTargets"]

    assert sorted(resolved["ParameterValues"]) == sorted(ids[kind] for kind in kinds)


@pytest.mark.parametrize(
    ("target_type", "code"),
    [("/AWS::S3::Bucket", "InvalidDocumentContent"), ("AWS::EC2::Instance", "ValidationException")],
)
def test_create_document_refuses_a_target_type_the_engine_cannot_resolve(
    aws: RunningTwin, target_type: str, code: str
) -> None:
    with pytest.raises(ClientError) as refused:
        _create(aws, TargetType=target_type)

    assert refused.value.response["Error"]["Code"] == code
    assert target_type in refused.value.response["Error"]["Message"]
