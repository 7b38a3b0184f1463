"""Most teams already run the service: adopting their instance scopes the deployment to it and never touches it."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.deploy.resources import playbook_environment, project_resources, role_policies, run_playbook
from tests.twin_process import RunningTwin

pytestmark = [pytest.mark.twin, pytest.mark.slow]

PROJECT = "adopt-test"


def existing_instance(twin: RunningTwin) -> str:
    """An instance the team already runs: not made by the deployment, so it carries none of our tags."""
    ec2 = twin.client("ec2")
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    return ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, InstanceType="t3.micro")["Instances"][0][
        "InstanceId"
    ]


def test_adopted_instance_is_the_only_target_and_survives_teardown(twin: RunningTwin, tmp_path: Path) -> None:
    adopted = existing_instance(twin)
    environment = playbook_environment(twin.aws_url, twin.sumo_url, secrets.token_urlsafe(36))
    extra_vars = {
        "remediation_project": PROJECT,
        "remediation_adopt_instance_ids": [adopted],
        "remediation_lambda_zip_path": str(tmp_path / "remediation-webhook.zip"),
    }

    deployed = run_playbook("site.yml", environment, extra_vars=extra_vars)
    assert deployed.returncode == 0, deployed.output[-3000:]

    created = project_resources(twin.client, PROJECT)["ec2_instances"]
    assert created == [], "an adopting deployment must create no instance"
    policies = role_policies(twin.client, [f"{PROJECT}-automation"])
    statements = [s for document in policies.values() for s in document["Statement"]]
    remediate = next(s for s in statements if "ec2:RebootInstances" in s["Action"])
    resources = remediate["Resource"] if isinstance(remediate["Resource"], list) else [remediate["Resource"]]
    assert resources == [f"arn:aws:ec2:us-east-1:123456789012:instance/{adopted}"]
    environment_vars = twin.client("lambda").get_function_configuration(FunctionName=f"{PROJECT}-webhook")[
        "Environment"
    ]["Variables"]
    assert environment_vars["REMEDIATION_TARGET_INSTANCE_IDS"] == adopted

    removed = run_playbook("playbooks/teardown.yml", environment, extra_vars={**extra_vars, "confirm": "yes"})
    assert removed.returncode == 0, removed.output[-3000:]
    state = twin.client("ec2").describe_instances(InstanceIds=[adopted])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] in {"pending", "running"}
    leftovers = {service: names for service, names in project_resources(twin.client, PROJECT).items() if names}
    assert leftovers == {}
