"""One rule each for an EC2 instance id, the webhook secret and where the Sumo Logic API is.

The collection's module_utils define them and the roles apply them through its filters. The Lambda, the runbook and
the AWS twin cannot import the collection: their copies must be equal to the definition, character for character.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT / "collections", REPO_ROOT / "lambda"):
    if str(_path) not in sys.path:
        sys.path.append(str(_path))

from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.input_rules import (  # noqa: E402
    EC2_INSTANCE_ID_PATTERN,
    WEBHOOK_SECRET_MIN_LENGTH,
)
from ansible_collections.autoremediation.sumo_aws.plugins.module_utils.sumologic_client import (  # noqa: E402
    DEPLOYMENTS,
)
from remediation_webhook import config as lambda_config  # noqa: E402
from remediation_webhook import payload as lambda_payload  # noqa: E402

from emulator.aws import control as twin_control  # noqa: E402

RUNBOOK = REPO_ROOT / "ssm_documents" / "remediate-ec2-instance.yaml"
DOC_FRAGMENT = REPO_ROOT / "collections/ansible_collections/autoremediation/sumo_aws/plugins/doc_fragments/sumologic.py"


def _role_options(role: str) -> dict[str, Any]:
    spec = yaml.safe_load((REPO_ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    return spec["argument_specs"]["main"]["options"]


def _description(option: dict[str, Any]) -> str:
    text = option["description"]
    return " ".join(text) if isinstance(text, list) else str(text)


@pytest.mark.parametrize(
    ("where", "copy"),
    [
        ("lambda/remediation_webhook/config.py", lambda_config.INSTANCE_ID.pattern),
        (
            "the runbook's InstanceId allowedPattern",
            yaml.safe_load(RUNBOOK.read_text())["parameters"]["InstanceId"]["allowedPattern"],
        ),
        ("twin/src/emulator/aws/control.py", twin_control._INSTANCE_ID.pattern),
    ],
)
def test_every_copy_of_the_instance_id_pattern_is_the_collections(where: str, copy: str) -> None:
    assert copy == EC2_INSTANCE_ID_PATTERN, (
        f"{where} has {copy!r}, the collection's input_rules has {EC2_INSTANCE_ID_PATTERN!r}"
    )


def test_the_lambda_finds_in_alert_text_exactly_the_ids_the_rule_accepts() -> None:
    short, long_, ten = "i-0123abcd", "i-0123456789abcdef0", "i-0123456789"
    found = lambda_payload._INSTANCE_ID_IN_TEXT.findall(f"on {short}, {long_} and {ten}; not xi-0123abcd")
    assert found == [short, long_]
    assert all(re.fullmatch(EC2_INSTANCE_ID_PATTERN, instance_id) for instance_id in found)
    assert not re.fullmatch(EC2_INSTANCE_ID_PATTERN, ten)


def test_the_role_and_the_modules_offer_exactly_the_deployments_the_client_knows() -> None:
    role_choices = _role_options("sumo_monitoring")["sumo_deployment"]["choices"]
    assert role_choices == ["", *sorted(DEPLOYMENTS)]
    fragment = yaml.safe_load(re.search(r'DOCUMENTATION = r"""(.*?)"""', DOC_FRAGMENT.read_text(), re.DOTALL)[1])
    assert fragment["options"]["deployment"]["choices"] == sorted(DEPLOYMENTS)


@pytest.mark.parametrize(
    ("role", "variable"),
    [("remediation_preflight", "remediation_webhook_secret"), ("sumo_monitoring", "sumo_monitoring_webhook_secret")],
)
def test_the_secret_variables_document_the_rule_they_are_checked_against(role: str, variable: str) -> None:
    description = _description(_role_options(role)[variable]).lower()
    assert f"at least {WEBHOOK_SECRET_MIN_LENGTH} visible ascii characters" in description


def test_no_role_keeps_a_copy_of_the_rules() -> None:
    copies = re.compile(r"i-\[0-9a-f\]|i-\(\[0-9a-f\]|webhook_secret \| length|sumologic\.com|min_secret_length")
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in sorted((REPO_ROOT / "roles").glob("*/[tdv]*/*.yml"))  # tasks, defaults, vars
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if copies.search(line)
    ]
    assert found == [], "use the autoremediation.sumo_aws *_problem filters instead:\n" + "\n".join(found)
