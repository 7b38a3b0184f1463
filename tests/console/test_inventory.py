"""The console finds the deployment as site.yml names it: Ansible renders playbooks/vars/resources.yml's
remediation_names and the connection from the inventory (no deployment needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.console.deployment import DEFAULT_INVENTORY, Deployment, deployment_from_values, resolve_deployment
from tools.console.errors import ConsoleError

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_inventory_local_names_the_twin_deployment():
    deployment = resolve_deployment(REPO_ROOT / "inventory" / "local")

    assert deployment == Deployment(
        region="us-east-1",
        table="ec2-autoremediation-state",
        switch_parameter="/ec2-autoremediation/remediation-switch",
        document="ec2-autoremediation-remediate-instance",
        function="ec2-autoremediation-webhook",
        log_group="/aws/lambda/ec2-autoremediation-webhook",
        endpoint_url=deployment.endpoint_url,
        access_key="testing",
        secret_key="testing",
        inventory=str(REPO_ROOT / "inventory" / "local"),
    )
    assert deployment.endpoint_url.startswith("http://127.0.0.1:")


def test_a_project_given_with_e_renames_everything_and_production_uses_the_credential_chain():
    deployment = resolve_deployment(REPO_ROOT / "inventory" / "production", ["remediation_project=blue"])

    assert (deployment.table, deployment.function, deployment.switch_parameter) == (
        "blue-state",
        "blue-webhook",
        "/blue/remediation-switch",
    )
    assert deployment.region == "eu-west-1"
    assert (deployment.endpoint_url, deployment.access_key, deployment.secret_key) == ("", "", "")


def test_the_default_inventory_is_the_twins_whatever_the_working_directory():
    assert DEFAULT_INVENTORY == REPO_ROOT / "inventory" / "local"


def test_rendered_names_without_a_table_are_refused_by_name():
    with pytest.raises(ConsoleError, match="remediation_names has no table"):
        deployment_from_values(
            {
                "names": {"switch_parameter": "s", "document": "d", "function": "f", "log_group": "l"},
                "region": "us-east-1",
            },
            "inv",
        )
