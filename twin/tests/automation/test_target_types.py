"""Tag targets resolve across EC2 resource types; the document's TargetType narrows them to one type.

Ledger: docs/twin-fidelity.md, "Tag targets reach every tagged resource unless the document's TargetType narrows
them".
"""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from emulator.automation.errors import AutomationError
from emulator.automation.targets import check_target_type, resolve_targets
from tests.automation.conftest import launch_instance

# Any resource id is a valid value: the step only reads the resource's tags.
PER_RESOURCE = """
    schemaVersion: '0.3'
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


def _fresh_tag() -> tuple[str, str]:
    return "Fleet", f"fleet-{uuid.uuid4().hex[:8]}"


def _tagged_volume(ec2: Any, key: str, value: str) -> str:
    volume = ec2.create_volume(
        AvailabilityZone="us-east-1a",
        Size=8,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": key, "Value": value}]}],
    )
    return volume["VolumeId"]


@pytest.fixture
def fleet(ec2: Any) -> dict[str, str]:
    """An instance and an EBS volume carrying the same fresh tag: the tag key, its value and both ids."""
    key, value = _fresh_tag()
    return {
        "key": key,
        "value": value,
        "instance": launch_instance(ec2, tags={key: value}),
        "volume": _tagged_volume(ec2, key, value),
    }


def _tag_target(fleet: dict[str, str]) -> list[dict[str, Any]]:
    return [{"Key": f"tag:{fleet['key']}", "Values": [fleet["value"]]}]


def test_tag_target_without_target_type_starts_one_child_per_tagged_resource_of_any_type(
    runbook: Any, fleet: dict[str, str]
) -> None:
    parent, children = runbook.run_targeted(
        {
            "DocumentName": runbook.add(PER_RESOURCE),
            "Targets": _tag_target(fleet),
            "TargetParameterName": "ResourceId",
            "MaxConcurrency": "1",
            "MaxErrors": "0",
        }
    )

    assert parent["AutomationExecutionStatus"] == "Success"
    assert sorted(parent["ResolvedTargets"]["ParameterValues"]) == sorted([fleet["instance"], fleet["volume"]])
    assert sorted(child["Target"] for child in children) == sorted([fleet["instance"], fleet["volume"]])
    volume_child = next(child for child in children if child["Target"] == fleet["volume"])
    assert runbook.get(volume_child["AutomationExecutionId"])["Parameters"]["ResourceId"] == [fleet["volume"]]


@pytest.mark.parametrize(
    ("target_type", "expected"),
    [
        (None, ["instance", "volume"]),
        ("", ["instance", "volume"]),
        ("/", ["instance", "volume"]),
        ("/AWS::EC2::Volume", ["volume"]),
        ("/AWS::EC2::Instance", ["instance"]),
        ("/AWS::EC2::NetworkInterface", []),
    ],
)
def test_the_target_type_narrows_tag_targets_to_its_resource_type(
    client_factory: Callable[[str], Any], fleet: dict[str, str], target_type: str | None, expected: list[str]
) -> None:
    if not expected:
        with pytest.raises(AutomationError) as raised:
            resolve_targets(_tag_target(fleet), client_factory, target_type)
        assert raised.value.code == "InvalidTarget" and "matches no resources" in raised.value.message
        return

    resolved = resolve_targets(_tag_target(fleet), client_factory, target_type)

    assert sorted(resolved) == sorted(fleet[kind] for kind in expected)


def test_every_tagged_ec2_resource_type_is_a_target_when_the_type_is_slash(
    ec2: Any, client_factory: Callable[[str], Any]
) -> None:
    key, value = _fresh_tag()
    instance_id = launch_instance(ec2)
    volume_id = _tagged_volume(ec2, "Other", "tag")
    subnet_id = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    interface = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"]
    resources = {
        "instance": instance_id,
        "volume": volume_id,
        "network-interface": interface["NetworkInterfaceId"],
        "security-group": ec2.create_security_group(GroupName=value, Description="tag target test")["GroupId"],
        "snapshot": ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"],
        "image": ec2.create_image(InstanceId=instance_id, Name=value)["ImageId"],
    }
    ec2.create_tags(Resources=list(resources.values()), Tags=[{"Key": key, "Value": value}])

    resolved = resolve_targets([{"Key": f"tag:{key}", "Values": [value]}], client_factory, "/")

    assert sorted(resolved) == sorted(resources.values())


def test_a_tag_key_target_matches_the_key_whatever_its_value(ec2: Any, client_factory: Callable[[str], Any]) -> None:
    key = f"Owner{uuid.uuid4().hex[:8]}"
    instance_id = launch_instance(ec2, tags={key: "alice"})
    volume_id = _tagged_volume(ec2, key, "bob")

    everything = resolve_targets([{"Key": "tag-key", "Values": [key]}], client_factory)
    volumes = resolve_targets([{"Key": "tag-key", "Values": [key]}], client_factory, "/AWS::EC2::Volume")

    assert sorted(everything) == sorted([instance_id, volume_id])
    assert volumes == [volume_id]


def test_a_terminated_instance_is_no_tag_target_but_its_tagged_volume_is(
    ec2: Any, client_factory: Callable[[str], Any]
) -> None:
    key, value = _fresh_tag()
    gone = launch_instance(ec2, tags={key: value})
    ec2.terminate_instances(InstanceIds=[gone])
    volume_id = _tagged_volume(ec2, key, value)

    assert resolve_targets([{"Key": f"tag:{key}", "Values": [value]}], client_factory) == [volume_id]


@pytest.mark.parametrize("key", ["tag:Fleet", "tag-key"])
def test_a_tag_target_without_values_is_refused(client_factory: Callable[[str], Any], key: str) -> None:
    with pytest.raises(AutomationError) as raised:
        resolve_targets([{"Key": key, "Values": []}], client_factory)

    assert raised.value.code == "InvalidTarget" and "has no Values" in raised.value.message


@pytest.mark.parametrize("target_type", [None, "", "/", "/AWS::EC2::Instance", "/AWS::EC2::Volume"])
def test_known_target_types_are_accepted(target_type: str | None) -> None:
    check_target_type(target_type)


@pytest.mark.parametrize(
    ("target_type", "code", "named"),
    [
        ("/AWS::S3::Bucket", "InvalidDocumentContent", "not a resource type this twin resolves"),
        ("/AWS::EC2::Volumes", "InvalidDocumentContent", "not a resource type this twin resolves"),
        ("AWS::EC2::Instance", "ValidationException", "must start with '/'"),
        ("/" + "x" * 200, "ValidationException", "at most 200 characters"),
    ],
)
def test_unknown_or_malformed_target_types_are_refused(target_type: str, code: str, named: str) -> None:
    with pytest.raises(AutomationError) as raised:
        check_target_type(target_type)

    assert raised.value.code == code
    assert named in raised.value.message and target_type[:20] in raised.value.message


def test_a_tag_target_with_an_unknown_target_type_is_refused_before_ec2_is_asked(
    client_factory: Callable[[str], Any], fleet: dict[str, str]
) -> None:
    with pytest.raises(AutomationError) as raised:
        resolve_targets(_tag_target(fleet), client_factory, "/AWS::S3::Bucket")

    assert raised.value.code == "InvalidDocumentContent"


@pytest.mark.parametrize(
    ("target_type", "kind"), [("/AWS::EC2::Volume", "volume"), ("/AWS::EC2::Instance", "instance")]
)
def test_the_documents_target_type_leaves_one_child_per_resource_of_that_type(
    runbook: Any, documents: Any, fleet: dict[str, str], target_type: str, kind: str
) -> None:
    name = f"Typed{uuid.uuid4().hex[:8]}"
    documents.put_document(name, textwrap.dedent(PER_RESOURCE), "YAML", target_type=target_type)

    parent, children = runbook.run_targeted(
        {
            "DocumentName": name,
            "Targets": _tag_target(fleet),
            "TargetParameterName": "ResourceId",
            "MaxConcurrency": "1",
            "MaxErrors": "0",
        }
    )

    assert parent["AutomationExecutionStatus"] == "Success"
    assert parent["ResolvedTargets"]["ParameterValues"] == [fleet[kind]]
    assert [child["Target"] for child in children] == [fleet[kind]]


def test_a_document_with_an_unknown_target_type_is_not_stored(documents: Any) -> None:
    with pytest.raises(AutomationError) as raised:
        documents.put_document("Typed", textwrap.dedent(PER_RESOURCE), "YAML", target_type="/AWS::S3::Bucket")

    assert raised.value.code == "InvalidDocumentContent"
