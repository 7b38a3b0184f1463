"""`ansible-playbook site.yml` against the twin: check mode first, deploy, re-run, least privilege, teardown, redeploy.

The tests share one deployment and run in file order; each playbook run takes tens of seconds, so there are few.
They use their own project name, so nothing else in the session's twin is mistaken for theirs.
"""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from emulator.testing import RunningTwin
from tests.deploy.resources import PlaybookRun, playbook_environment, project_resources, role_policies, run_playbook

pytestmark = [pytest.mark.twin, pytest.mark.slow]

PROJECT = "deploy-test"
EXTRA_VARS = {"remediation_project": PROJECT, "remediation_notification_emails": ["oncall@example.com"]}
# Actions that change something; none may be allowed on every resource.
MUTATING_ACTION_PREFIXES = ("ec2:reboot", "ec2:start", "sns:publish", "ssm:startautomationexecution", "iam:passrole")


class Deployment:
    """The runs of one deployment's life, in order, made lazily so each test starts only what it needs."""

    def __init__(self, twin: RunningTwin, build_dir: Path) -> None:
        self.twin = twin
        # A private zip: other runs sharing the repository's build/ cannot rewrite it under this one.
        self.zip_path = str(build_dir / "remediation-webhook.zip")
        self.secret = secrets.token_urlsafe(36)
        self.environment = playbook_environment(twin.aws_url, twin.sumo_url, self.secret)
        self.runs: dict[str, PlaybookRun] = {}

    def run(self, key: str, playbook: str, *options: str, **extra: Any) -> PlaybookRun:
        if key not in self.runs:
            extra_vars = {**EXTRA_VARS, "remediation_lambda_zip_path": self.zip_path, **extra}
            self.runs[key] = run_playbook(playbook, self.environment, *options, extra_vars=extra_vars)
        return self.runs[key]

    def resources(self) -> dict[str, list[str]]:
        return {**project_resources(self.twin.client, PROJECT), **self.sumo_objects()}

    def sumo_objects(self) -> dict[str, list[str]]:
        connections = self._sumo_get("/v1/connections")["data"]
        monitors = self._sumo_get("/v1/monitors/search?" + urllib.parse.urlencode({"query": PROJECT}))
        return {
            "sumo_connections": [c["name"] for c in connections if c["name"].startswith(PROJECT)],
            "sumo_monitors": [m["item"]["name"] for m in monitors if m["item"]["name"].startswith(PROJECT)],
        }

    def _sumo_get(self, path: str) -> Any:
        request = urllib.request.Request(f"{self.twin.sumo_api_url}{path}")
        credentials = base64.b64encode(b"local-sumo-access-id:local-sumo-access-key").decode()
        request.add_header("Authorization", f"Basic {credentials}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def deployment(twin: RunningTwin, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    return Deployment(twin, tmp_path_factory.mktemp("deploy-build"))


def nothing_left(resources: dict[str, list[str]]) -> dict[str, list[str]]:
    return {service: names for service, names in resources.items() if names}


def test_check_mode_on_a_fresh_twin_succeeds_and_creates_nothing(deployment: Deployment) -> None:
    run = deployment.run("check", "site.yml", "--check", "--diff")

    assert run.returncode == 0, run.output[-4000:]
    assert run.recap["failed"] == 0
    assert nothing_left(deployment.resources()) == {}


def test_deploy_creates_every_resource(deployment: Deployment) -> None:
    run = deployment.run("deploy", "site.yml")

    assert run.returncode == 0, run.output[-4000:]
    resources = deployment.resources()
    missing = [service for service, names in resources.items() if not names]
    assert missing == []
    assert resources["lambda_function_urls"] == [f"{PROJECT}-webhook"]
    assert sorted(resources["ssm_parameters"]) == [f"/{PROJECT}/remediation-switch", f"/{PROJECT}/webhook-secret"]


def test_the_connection_says_its_body_is_json(deployment: Deployment) -> None:
    """Sumo sends only the headers a connection configures (docs/twin-fidelity.md, "Webhook requests")."""
    deployment.run("deploy", "site.yml")
    connections = deployment._sumo_get("/v1/connections")["data"]
    [connection] = [c for c in connections if c["name"].startswith(PROJECT)]

    assert {"name": "Content-Type", "value": "application/json"} in connection["customHeaders"]


def test_second_run_changes_nothing(deployment: Deployment) -> None:
    deployment.run("deploy", "site.yml")
    run = deployment.run("rerun", "site.yml")

    assert run.returncode == 0, run.output[-4000:]
    assert run.changed == 0, run.changed_tasks


def test_a_newer_image_changes_nothing_and_is_reported(deployment: Deployment) -> None:
    """Amazon publishes a newer image between two runs (docs/twin-fidelity.md, "A newer image is published"):
    the run keeps the one instance it created, changes nothing, and says the images differ."""
    deployment.run("deploy", "site.yml")
    before = deployment.resources()["ec2_instances"]
    ec2 = deployment.twin.client("ec2")
    [reservation] = ec2.describe_instances(InstanceIds=before)["Reservations"]
    running_image = reservation["Instances"][0]["ImageId"]
    newer = deployment.twin.control.publish_image(
        name="amzn2-ami-hvm-2.0.29991231.0-x86_64-gp2", based_on=running_image
    )

    run = deployment.run("after-new-image", "site.yml")

    assert run.returncode == 0, run.output[-4000:]
    assert run.changed == 0, run.changed_tasks
    assert deployment.resources()["ec2_instances"] == before
    assert f"{before[0]} runs {running_image}; a new instance would get {newer['image_id']}" in " ".join(
        run.output.split()
    )


def test_no_policy_allows_a_mutating_action_on_every_resource(deployment: Deployment) -> None:
    deployment.run("deploy", "site.yml")
    roles = project_resources(deployment.twin.client, PROJECT)["iam_roles"]
    policies = role_policies(deployment.twin.client, roles)

    assert sorted(policies) == [f"{PROJECT}-automation/{PROJECT}-automation", f"{PROJECT}-webhook/{PROJECT}-webhook"]
    too_broad = []
    for name, document in policies.items():
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            mutating = [action for action in actions if action.lower().startswith(MUTATING_ACTION_PREFIXES)]
            if mutating and "*" in resources:
                too_broad.append((name, mutating))
    assert too_broad == []


def test_lambda_environment_names_what_it_uses_and_never_the_secret(deployment: Deployment) -> None:
    deployment.run("deploy", "site.yml")
    config = deployment.twin.client("lambda").get_function_configuration(FunctionName=f"{PROJECT}-webhook")
    environment = config["Environment"]["Variables"]

    assert environment["REMEDIATION_DOCUMENT_NAME"] == f"{PROJECT}-remediate-instance"
    assert environment["REMEDIATION_SECRET_PARAMETER"] == f"/{PROJECT}/webhook-secret"
    assert environment["REMEDIATION_TARGET_INSTANCE_IDS"].startswith("i-")
    assert environment["REMEDIATION_COOLDOWN_SECONDS"] == "900"
    assert deployment.secret not in json.dumps(config)
    assert deployment.secret not in deployment.runs["deploy"].output


def test_teardown_removes_everything_and_site_deploys_again(deployment: Deployment) -> None:
    deployment.run("deploy", "site.yml")
    teardown = deployment.run("teardown", "playbooks/teardown.yml", confirm="yes")

    assert teardown.returncode == 0, teardown.output[-4000:]
    assert nothing_left(deployment.resources()) == {}

    # The roles are made anew, and this time AWS is slow: Lambda refuses the webhook role for 30 s (3,000 virtual
    # seconds at the test twin's 100x), far longer than the tasks between creating the role and the function take
    # even on a busy machine (under two CPU burners they took more than 8 s), and well inside the task's two minutes
    # of retries; the new function stays Pending, refusing its URL, for 5 s.
    twin = deployment.twin
    with (
        twin.overridden_timings("iam", role_propagation_seconds=3000),
        twin.overridden_timings("lambda", pending_seconds=500),
    ):
        again = deployment.run("redeploy", "site.yml")
    assert again.returncode == 0, again.output[-4000:]
    assert "FAILED - RETRYING: [localhost]: Deploy the function." in again.output
    assert [service for service, names in deployment.resources().items() if not names] == []


def test_teardown_without_confirmation_stops_before_touching_anything(deployment: Deployment) -> None:
    before = deployment.resources()
    run = run_playbook("playbooks/teardown.yml", deployment.environment, extra_vars=EXTRA_VARS)

    assert run.returncode != 0
    assert "-e confirm=yes" in run.output
    assert deployment.resources() == before
