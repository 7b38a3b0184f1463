"""A wrong inventory stops the deployment in its preflight phase, naming the variable, before any resource exists."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emulator.testing import RunningTwin
from tests.deploy.resources import REPO_ROOT, playbook_environment, project_resources, run_playbook

pytestmark = [pytest.mark.twin, pytest.mark.slow]

PROJECT = "bad-input"


def inventory_without(tmp_path: Path, variable: str) -> Path:
    """A copy of inventory/local with one variable's line removed from its group_vars."""
    copy = tmp_path / "inventory"
    shutil.copytree(REPO_ROOT / "inventory" / "local", copy)
    for path in (copy / "group_vars" / "all").glob("*.yml"):
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(line for line in lines if not line.startswith(f"{variable}:")))
    return copy


@pytest.mark.parametrize(
    ("extra_vars", "variable"),
    [
        ({"remediation_adopt_instance_ids": ["i-12345"]}, "remediation_adopt_instance_ids"),
        ({"remediation_notification_emails": ["ops@example.com", "not-an-address"]}, "remediation_notification_emails"),
        (
            {"remediation_iam_ebs_kms_key_arns": ["arn:aws:kms:us-east-1:123456789012:alias/aws/ebs"]},
            'remediation_iam_ebs_kms_key_arns holds "arn:aws:kms:us-east-1:123456789012:alias/aws/ebs"',
        ),
        (
            {"remediation_lambda_verify_seconds": 5},
            "remediation_lambda_verify_seconds must be a whole number of seconds from 60 to 86400, got 5",
        ),
        (
            {"remediation_lambda_verify_seconds": "abc"},
            "argument 'remediation_lambda_verify_seconds' is of type str and we were unable to convert to int",
        ),
    ],
    ids=["malformed-instance-id", "bad-email", "kms-alias-instead-of-key", "verify-too-short", "verify-not-a-number"],
)
def test_bad_value_fails_naming_the_variable_and_creates_nothing(
    twin: RunningTwin, extra_vars: dict[str, object], variable: str
) -> None:
    environment = playbook_environment(twin.aws_url, twin.sumo_url, "s" * 40)
    run = run_playbook("site.yml", environment, extra_vars={"remediation_project": PROJECT, **extra_vars})

    assert run.returncode != 0
    assert variable in " ".join(run.output.split())  # Ansible wraps long messages
    assert {service: names for service, names in project_resources(twin.client, PROJECT).items() if names} == {}


def test_a_string_where_a_list_belongs_fails_naming_the_variable_and_the_type_and_creates_nothing(
    twin: RunningTwin,
) -> None:
    environment = playbook_environment(twin.aws_url, twin.sumo_url, "s" * 40)
    run = run_playbook(
        "site.yml",
        environment,
        "-e",
        "remediation_adopt_instance_ids=i-0123456789abcdef0",
        extra_vars={"remediation_project": PROJECT},
    )

    assert run.returncode != 0
    assert "remediation_adopt_instance_ids must be a list, got the str" in run.output
    assert "must resolve to a 'list'" not in run.output
    assert {service: names for service, names in project_resources(twin.client, PROJECT).items() if names} == {}


def test_short_webhook_secret_fails_naming_the_variable_and_the_rule_and_creates_nothing(twin: RunningTwin) -> None:
    environment = playbook_environment(twin.aws_url, twin.sumo_url, "s" * 31)
    run = run_playbook("site.yml", environment, extra_vars={"remediation_project": PROJECT})

    assert run.returncode != 0
    assert "remediation_webhook_secret" in run.output and "at least 32 visible ASCII characters" in run.output
    assert "s" * 31 not in run.output
    assert {service: names for service, names in project_resources(twin.client, PROJECT).items() if names} == {}


def test_missing_required_variable_fails_naming_it_and_creates_nothing(twin: RunningTwin, tmp_path: Path) -> None:
    inventory = inventory_without(tmp_path, "remediation_aws_region")
    environment = playbook_environment(twin.aws_url, twin.sumo_url, "s" * 40)
    run = run_playbook("site.yml", environment, extra_vars={"remediation_project": PROJECT}, inventory=str(inventory))

    assert run.returncode != 0
    assert "remediation_aws_region" in run.output
    assert {service: names for service, names in project_resources(twin.client, PROJECT).items() if names} == {}
