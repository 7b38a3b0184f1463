"""Most teams already run the service: adopting their instances (by id or by tag) scopes the deployment to them and
never touches them."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Any

import pytest

from emulator.testing import RunningTwin
from tests.deploy.resources import playbook_environment, project_resources, role_policies, run_playbook

pytestmark = [pytest.mark.twin, pytest.mark.slow]

PROJECT = "adopt-test"


def existing_instance(twin: RunningTwin, tags: dict[str, str] | None = None) -> str:
    """An instance the team already runs: not made by the deployment, so it carries none of our tags."""
    ec2 = twin.client("ec2")
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    tag_specifications = (
        [{"ResourceType": "instance", "Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}]
        if tags
        else []
    )
    return ec2.run_instances(
        ImageId=image_id, MinCount=1, MaxCount=1, InstanceType="t3.micro", TagSpecifications=tag_specifications
    )["Instances"][0]["InstanceId"]


def remediate_statement(twin: RunningTwin, project: str) -> dict[str, Any]:
    """The automation role's statement that allows rebooting and starting instances."""
    policies = role_policies(twin.client, [f"{project}-automation"])
    statements = [statement for document in policies.values() for statement in document["Statement"]]
    return next(statement for statement in statements if "ec2:RebootInstances" in statement["Action"])


def instance_state(twin: RunningTwin, instance_id: str) -> str:
    reservations = twin.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


def test_adopted_instance_is_the_only_target_and_survives_teardown(twin: RunningTwin, tmp_path: Path) -> None:
    adopted = existing_instance(twin)
    environment = playbook_environment(twin.aws_url, twin.sumo_url, secrets.token_urlsafe(36))
    extra_vars = {
        "remediation_project": PROJECT,
        "remediation_adopt_instance_ids": [adopted],
        "remediation_lambda_zip_path": str(tmp_path / "remediation-webhook.zip"),
        # Checked here so that an explicit verification window needs no deployment of its own.
        "remediation_lambda_verify_seconds": 1800,
    }

    deployed = run_playbook("site.yml", environment, extra_vars=extra_vars)
    assert deployed.returncode == 0, deployed.output[-3000:]

    created = project_resources(twin.client, PROJECT)["ec2_instances"]
    assert created == [], "an adopting deployment must create no instance"
    remediate = remediate_statement(twin, PROJECT)
    resources = remediate["Resource"] if isinstance(remediate["Resource"], list) else [remediate["Resource"]]
    assert resources == [f"arn:aws:ec2:us-east-1:123456789012:instance/{adopted}"]
    environment_vars = twin.client("lambda").get_function_configuration(FunctionName=f"{PROJECT}-webhook")[
        "Environment"
    ]["Variables"]
    assert environment_vars["REMEDIATION_TARGET_INSTANCE_IDS"] == adopted
    assert environment_vars["REMEDIATION_VERIFY_SECONDS"] == "1800"

    removed = run_playbook("playbooks/teardown.yml", environment, extra_vars={**extra_vars, "confirm": "yes"})
    assert removed.returncode == 0, removed.output[-3000:]
    assert instance_state(twin, adopted) in {"pending", "running"}
    leftovers = {service: names for service, names in project_resources(twin.client, PROJECT).items() if names}
    assert leftovers == {}


def test_a_fleet_adopted_by_tag_is_reached_only_through_its_tag_and_survives_teardown(
    twin: RunningTwin, tmp_path: Path
) -> None:
    project = "adopt-tag-test"
    service = f"api-{uuid.uuid4().hex[:8]}"
    fleet = [existing_instance(twin, {"Service": service}) for _ in range(2)]
    bystander = existing_instance(twin, {"Service": "something-else"})
    environment = playbook_environment(twin.aws_url, twin.sumo_url, secrets.token_urlsafe(36))
    extra_vars = {
        "remediation_project": project,
        "remediation_adopt_instance_tag": f"Service={service}",
        "remediation_lambda_zip_path": str(tmp_path / "remediation-webhook.zip"),
        # Checked here so that a wider monitor window needs no deployment of its own: the verification waits for it.
        "sumo_monitoring_time_range": "15m",
    }

    deployed = run_playbook("site.yml", environment, extra_vars=extra_vars)
    assert deployed.returncode == 0, deployed.output[-3000:]

    assert project_resources(twin.client, project)["ec2_instances"] == []
    remediate = remediate_statement(twin, project)
    # The fleet changes over time, so IAM names every instance but only while it carries the tag.
    assert remediate["Resource"] == ["arn:aws:ec2:us-east-1:123456789012:instance/*"]
    assert remediate["Condition"] == {"StringEquals": {"aws:ResourceTag/Service": service}}
    lambda_environment = twin.client("lambda").get_function_configuration(FunctionName=f"{project}-webhook")[
        "Environment"
    ]["Variables"]
    assert lambda_environment["REMEDIATION_TARGET_TAG"] == f"Service={service}"
    assert "REMEDIATION_TARGET_INSTANCE_IDS" not in lambda_environment
    # The 15-minute window, the 2 minutes Sumo runs log monitors behind, and 5 minutes of margin.
    assert lambda_environment["REMEDIATION_VERIFY_SECONDS"] == str(900 + 120 + 300)

    removed = run_playbook("playbooks/teardown.yml", environment, extra_vars={**extra_vars, "confirm": "yes"})
    assert removed.returncode == 0, removed.output[-3000:]
    assert {instance_state(twin, instance) for instance in [*fleet, bystander]} <= {"pending", "running"}
    leftovers = {kind: names for kind, names in project_resources(twin.client, project).items() if names}
    assert leftovers == {}
