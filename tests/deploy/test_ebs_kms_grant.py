"""`remediation_iam_ebs_kms_key_arns` gives the automation role kms:CreateGrant on exactly those keys, through EC2 only.

Ledger (docs/twin-fidelity.md): "A start with volumes on a customer-managed KMS key needs kms:CreateGrant". Only the
IAM part of the deployment runs here (preflight always runs with it), so the test takes two short playbook runs.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.testing import REGION, RunningTwin
from tests.deploy.resources import playbook_environment, role_policies, run_playbook

pytestmark = [pytest.mark.twin, pytest.mark.slow]

PROJECT = "kms-grant-test"
ACCOUNT_ID = "123456789012"
KEY_ARNS = [
    f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/mrk-0123456789abcdef0123456789abcdef",
]
# The IAM role builds its remediate statement from what remediation_instance publishes, which does not run here.
TARGETS = [f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:instance/i-0123456789abcdef0"]


def deploy_iam(twin: RunningTwin, key_arns: list[str]) -> None:
    environment = playbook_environment(twin.aws_url, twin.sumo_url, secrets.token_urlsafe(36))
    extra_vars = {
        "remediation_project": PROJECT,
        "remediation_instance_arns": TARGETS,
        "remediation_instance_target_tag": "",
        "remediation_iam_ebs_kms_key_arns": key_arns,
    }
    run = run_playbook("playbooks/aws.yml", environment, "--tags", "remediation_iam", extra_vars=extra_vars)
    assert run.returncode == 0, run.output[-3000:]


def kms_statements(twin: RunningTwin) -> list[dict[str, Any]]:
    policies = role_policies(twin.client, [f"{PROJECT}-automation"])
    assert policies, "the automation role has no policy"
    statements = [statement for document in policies.values() for statement in document["Statement"]]
    return [statement for statement in statements if "kms" in str(statement.get("Action", "")).lower()]


@pytest.fixture
def iam_roles_removed_afterwards(twin: RunningTwin) -> Iterator[None]:
    yield
    iam = twin.client("iam")
    existing = {role["RoleName"] for page in iam.get_paginator("list_roles").paginate() for role in page["Roles"]}
    for role in (f"{PROJECT}-automation", f"{PROJECT}-webhook", f"{PROJECT}-scheduler"):
        if role not in existing:
            continue
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=name)
        iam.delete_role(RoleName=role)


def test_the_automation_role_may_grant_ec2_the_listed_keys_and_nothing_when_none_are_listed(
    twin: RunningTwin, iam_roles_removed_afterwards: None
) -> None:
    deploy_iam(twin, KEY_ARNS)

    assert kms_statements(twin) == [
        {
            "Sid": "LetEc2UseTheEbsKeysOnStart",
            "Effect": "Allow",
            "Action": "kms:CreateGrant",
            "Resource": KEY_ARNS,
            "Condition": {
                "StringEquals": {"kms:ViaService": f"ec2.{REGION}.amazonaws.com"},
                "Bool": {"kms:GrantIsForAWSResource": True},
            },
        }
    ]

    deploy_iam(twin, [])

    assert kms_statements(twin) == []
