"""Find what the deployment made in the twin, per service, and run playbooks against it the way an operator would."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = "ec2-autoremediation"
MANAGED_TAG = {"Key": "remediation:managed-by", "Value": "ansible"}
RECAP_PATTERN = re.compile(r"^(?P<host>\S+)\s*:\s*(?P<counts>(?:\w+=\d+\s*)+)$", re.MULTILINE)


@dataclass(frozen=True)
class PlaybookRun:
    """One ansible-playbook run: its exit code, output and PLAY RECAP counts (summed over hosts)."""

    returncode: int
    output: str
    recap: dict[str, int]

    @property
    def changed(self) -> int:
        return self.recap.get("changed", 0)

    @property
    def changed_tasks(self) -> list[str]:
        """Names of the tasks that reported a change, in order."""
        names, current = [], ""
        for line in self.output.splitlines():
            if line.startswith("TASK ["):
                current = line.split("] ", 1)[0] + "]"
            elif line.startswith("changed:"):
                names.append(current)
        return names


def parse_recap(output: str) -> dict[str, int]:
    """Sum the PLAY RECAP counters (ok, changed, failed, ...) of every host; empty when there is no recap."""
    totals: dict[str, int] = {}
    recap = output.rsplit("PLAY RECAP", 1)
    if len(recap) < 2:
        return totals
    for match in RECAP_PATTERN.finditer(recap[1]):
        for pair in match.group("counts").split():
            name, value = pair.split("=")
            totals[name] = totals.get(name, 0) + int(value)
    return totals


def playbook_environment(aws_url: str, sumo_url: str, secret: str | None = None) -> dict[str, str]:
    """The environment an operator would have: the twin's ports, the in-repo collection, and no real AWS settings."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "ANSIBLE_", "REMEDIATION_", "TWIN_", "SUMO_"))
    }
    environment.update(
        TWIN_AWS_PORT=str(urlparse(aws_url).port),
        TWIN_SUMO_PORT=str(urlparse(sumo_url).port),
        ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / "collections"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        PYTHONUNBUFFERED="1",
    )
    if secret is not None:
        environment["REMEDIATION_WEBHOOK_SECRET"] = secret
    return environment


def run_playbook(
    playbook: str,
    environment: Mapping[str, str],
    *options: str,
    extra_vars: Mapping[str, Any] | None = None,
    inventory: str = "inventory/local",
    timeout: float = 900,
) -> PlaybookRun:
    """Run `playbook` from the repository root (local inventory by default); never raises on a failed play."""
    command = [str(REPO_ROOT / ".venv" / "bin" / "ansible-playbook"), playbook, "-i", inventory, *options]
    if extra_vars:
        command += ["-e", json.dumps(dict(extra_vars))]
    completed = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=dict(environment),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = completed.stdout + completed.stderr
    return PlaybookRun(completed.returncode, output, parse_recap(output))


def _ignore_missing(call: Callable[[], Any], *codes: str) -> Any:
    try:
        return call()
    except ClientError as error:
        if error.response["Error"]["Code"] in codes:
            return None
        raise


def _paged(service_client: Any, operation: str, key: str, **arguments: Any) -> list[Any]:
    """Every item of a listing, through all its pages (botocore's paginator for the operation)."""
    paginator = service_client.get_paginator(operation)
    return [item for page in paginator.paginate(**arguments) for item in page.get(key, [])]


def project_resources(client: Callable[[str], Any], project: str = PROJECT) -> dict[str, list[str]]:
    """Every resource of `project` still in the twin, by service (an empty list per service when clean)."""
    ec2 = client("ec2")
    reservations = ec2.describe_instances(
        Filters=[
            {"Name": f"tag:{MANAGED_TAG['Key']}", "Values": [MANAGED_TAG["Value"]]},
            {"Name": "tag:remediation:project", "Values": [project]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
        ]
    )["Reservations"]
    instances = [instance["InstanceId"] for reservation in reservations for instance in reservation["Instances"]]

    # Every listing is paged: the session twin holds every other test's documents, parameters, roles and topics
    # too, and the project's may be on any page.
    topics = [t["TopicArn"] for t in _paged(client("sns"), "list_topics", "Topics") if project in t["TopicArn"]]
    roles = [r["RoleName"] for r in _paged(client("iam"), "list_roles", "Roles") if r["RoleName"].startswith(project)]
    documents = [
        d["Name"]
        for d in _paged(
            client("ssm"), "list_documents", "DocumentIdentifiers", Filters=[{"Key": "Owner", "Values": ["Self"]}]
        )
        if d["Name"].startswith(project)
    ]
    parameters = [
        p["Name"]
        for p in _paged(client("ssm"), "describe_parameters", "Parameters")
        if p["Name"].startswith(f"/{project}/")
    ]
    functions = [
        f["FunctionName"]
        for f in _paged(client("lambda"), "list_functions", "Functions")
        if f["FunctionName"].startswith(project)
    ]
    urls = [
        name
        for name in functions
        if _ignore_missing(
            lambda name=name: client("lambda").get_function_url_config(FunctionName=name), "ResourceNotFoundException"
        )
    ]
    log_groups = [
        g["logGroupName"]
        for g in _paged(client("logs"), "describe_log_groups", "logGroups", logGroupNamePrefix=f"/aws/lambda/{project}")
    ]
    tables = [name for name in _paged(client("dynamodb"), "list_tables", "TableNames") if name.startswith(project)]
    schedule_groups = [
        group["Name"]
        for group in _paged(client("scheduler"), "list_schedule_groups", "ScheduleGroups", NamePrefix=project)
    ]
    return {
        "ec2_instances": instances,
        "sns_topics": topics,
        "iam_roles": roles,
        "ssm_documents": documents,
        "ssm_parameters": parameters,
        "lambda_functions": functions,
        "lambda_function_urls": urls,
        "log_groups": log_groups,
        "dynamodb_tables": tables,
        "schedule_groups": schedule_groups,
    }


def role_policies(client: Callable[[str], Any], role_names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every inline and attached policy document of the given roles, keyed `role/policy`."""
    iam = client("iam")
    documents: dict[str, dict[str, Any]] = {}
    for role in role_names:
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            documents[f"{role}/{name}"] = _as_json(
                iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            )
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            version = iam.get_policy_version(PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"])
            documents[f"{role}/{attached['PolicyName']}"] = _as_json(version["PolicyVersion"]["Document"])
    return documents


def _as_json(document: Any) -> dict[str, Any]:
    if isinstance(document, str):
        from urllib.parse import unquote

        return json.loads(unquote(document))
    return document
