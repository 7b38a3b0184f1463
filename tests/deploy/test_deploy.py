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
from botocore.exceptions import ClientError

from emulator.aws.iam_policies import AuthorizationRequest, documents_allow
from emulator.testing import REGION, RunningTwin
from tests.deploy.resources import PlaybookRun, playbook_environment, project_resources, role_policies, run_playbook

pytestmark = [pytest.mark.twin, pytest.mark.slow]

PROJECT = "deploy-test"
EXTRA_VARS = {"remediation_project": PROJECT, "remediation_notification_emails": ["oncall@example.com"]}
# Actions that change something; none may be allowed on every resource.
MUTATING_ACTION_PREFIXES = (
    "ec2:reboot",
    "ec2:start",
    "sns:publish",
    "ssm:startautomationexecution",
    "iam:passrole",
    "scheduler:create",
    "scheduler:delete",
    "lambda:invokefunction",
)
ACCOUNT_ID = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{PROJECT}-webhook"
AUTOMATION_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/{PROJECT}-automation"
SCHEDULER_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/{PROJECT}-scheduler"
SCHEDULE_GROUP = f"{PROJECT}-verification"
SCHEDULE_GROUP_ARN = f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule-group/{SCHEDULE_GROUP}"
GROUP_SCHEDULES_ARN = f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule/{SCHEDULE_GROUP}/*"


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


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def pending_verification(twin: RunningTwin) -> str:
    """A verification schedule waiting in the group, as the Lambda leaves one after starting a remediation; its name."""
    name = "verify-deploy-test"
    try:
        twin.client("scheduler").create_schedule(
            Name=name,
            GroupName=SCHEDULE_GROUP,
            ScheduleExpression="at(2099-01-01T00:00:00)",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={"Arn": FUNCTION_ARN, "RoleArn": SCHEDULER_ROLE_ARN, "Input": json.dumps({"verify": name})},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConflictException":
            raise
    return name


def schedules_in_group(twin: RunningTwin) -> list[str]:
    schedules = twin.client("scheduler").list_schedules()["Schedules"]
    return [schedule["Name"] for schedule in schedules if schedule["GroupName"] == SCHEDULE_GROUP]


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
    assert resources["schedule_groups"] == [SCHEDULE_GROUP]
    assert sorted(resources["iam_roles"]) == [f"{PROJECT}-automation", f"{PROJECT}-scheduler", f"{PROJECT}-webhook"]
    tags = deployment.twin.client("scheduler").list_tags_for_resource(ResourceArn=SCHEDULE_GROUP_ARN)["Tags"]
    assert {"Key": "remediation:project", "Value": PROJECT} in tags


def test_the_connection_says_its_body_is_json(deployment: Deployment) -> None:
    """Sumo sends only the headers a connection configures (docs/twin-fidelity.md, "Webhook requests")."""
    deployment.run("deploy", "site.yml")
    connections = deployment._sumo_get("/v1/connections")["data"]
    [connection] = [c for c in connections if c["name"].startswith(PROJECT)]

    assert {"name": "Content-Type", "value": "application/json"} in connection["customHeaders"]


def test_second_run_changes_nothing_and_keeps_pending_verifications(deployment: Deployment) -> None:
    deployment.run("deploy", "site.yml")
    pending = pending_verification(deployment.twin)

    run = deployment.run("rerun", "site.yml")

    assert run.returncode == 0, run.output[-4000:]
    assert run.changed == 0, run.changed_tasks
    # The group was left alone, not made again: a remediation's verification still comes.
    assert schedules_in_group(deployment.twin) == [pending]


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

    assert sorted(policies) == [
        f"{PROJECT}-automation/{PROJECT}-automation",
        f"{PROJECT}-scheduler/{PROJECT}-scheduler",
        f"{PROJECT}-webhook/{PROJECT}-webhook",
    ]
    too_broad = []
    for name, document in policies.items():
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            mutating = [action for action in actions if action.lower().startswith(MUTATING_ACTION_PREFIXES)]
            if mutating and "*" in resources:
                too_broad.append((name, mutating))
    assert too_broad == []


def test_only_eventbridge_scheduler_may_assume_the_scheduler_role_for_this_accounts_verification_group(
    deployment: Deployment,
) -> None:
    deployment.run("deploy", "site.yml")
    role = deployment.twin.client("iam").get_role(RoleName=f"{PROJECT}-scheduler")["Role"]
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]

    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    assert sorted(as_list(statement["Condition"]["ArnLike"]["aws:SourceArn"])) == sorted(
        [SCHEDULE_GROUP_ARN, GROUP_SCHEDULES_ARN]
    )


def test_the_scheduler_role_may_invoke_the_function_and_nothing_else(deployment: Deployment) -> None:
    deployment.run("deploy", "site.yml")
    policies = role_policies(deployment.twin.client, [f"{PROJECT}-scheduler"])

    assert list(policies) == [f"{PROJECT}-scheduler/{PROJECT}-scheduler"]
    [statement] = policies[f"{PROJECT}-scheduler/{PROJECT}-scheduler"]["Statement"]
    assert (statement["Effect"], as_list(statement["Action"])) == ("Allow", ["lambda:InvokeFunction"])
    assert sorted(as_list(statement["Resource"])) == [FUNCTION_ARN, f"{FUNCTION_ARN}:*"]
    assert "Condition" not in statement


def test_the_lambda_sets_schedules_only_in_its_group_and_passes_the_scheduler_role_only_to_scheduler(
    deployment: Deployment,
) -> None:
    deployment.run("deploy", "site.yml")
    document = role_policies(deployment.twin.client, [f"{PROJECT}-webhook"])[f"{PROJECT}-webhook/{PROJECT}-webhook"]
    statements = document["Statement"]

    [schedules] = [s for s in statements if any(a.startswith("scheduler:") for a in as_list(s["Action"]))]
    assert sorted(as_list(schedules["Action"])) == [
        "scheduler:CreateSchedule",
        "scheduler:DeleteSchedule",
        "scheduler:GetSchedule",
    ]
    assert as_list(schedules["Resource"]) == [GROUP_SCHEDULES_ARN]
    passes = {
        resource: s.get("Condition")
        for s in statements
        if "iam:PassRole" in as_list(s["Action"])
        for resource in as_list(s["Resource"])
    }
    assert passes == {
        AUTOMATION_ROLE_ARN: {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
        SCHEDULER_ROLE_ARN: {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
    }

    def allowed(action: str, resource: str, **context: str) -> bool:
        return documents_allow([document], AuthorizationRequest(action, resource, context))

    schedule = f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule"
    assert allowed("scheduler:CreateSchedule", f"{schedule}/{SCHEDULE_GROUP}/verify-i-0123456789abcdef0")
    assert not allowed("scheduler:CreateSchedule", f"{schedule}/default/verify-i-0123456789abcdef0")
    assert not allowed("scheduler:CreateSchedule", f"{schedule}/{SCHEDULE_GROUP}-other/verify-i-0123456789abcdef0")
    assert not allowed("scheduler:UpdateSchedule", f"{schedule}/{SCHEDULE_GROUP}/verify-i-0123456789abcdef0")
    assert not allowed("scheduler:DeleteScheduleGroup", SCHEDULE_GROUP_ARN)
    assert allowed("iam:PassRole", SCHEDULER_ROLE_ARN, **{"iam:PassedToService": "scheduler.amazonaws.com"})
    assert not allowed("iam:PassRole", SCHEDULER_ROLE_ARN, **{"iam:PassedToService": "lambda.amazonaws.com"})
    assert not allowed("iam:PassRole", AUTOMATION_ROLE_ARN, **{"iam:PassedToService": "scheduler.amazonaws.com"})


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


def test_lambda_environment_carries_the_verification_timer_and_the_circuit_breaker(deployment: Deployment) -> None:
    deployment.run("deploy", "site.yml")
    config = deployment.twin.client("lambda").get_function_configuration(FunctionName=f"{PROJECT}-webhook")
    scheduler_role = deployment.twin.client("iam").get_role(RoleName=f"{PROJECT}-scheduler")["Role"]
    environment = config["Environment"]["Variables"]

    assert environment["REMEDIATION_FUNCTION_ARN"] == config["FunctionArn"] == FUNCTION_ARN
    assert environment["REMEDIATION_SCHEDULER_ROLE_ARN"] == scheduler_role["Arn"] == SCHEDULER_ROLE_ARN
    assert environment["REMEDIATION_SCHEDULE_GROUP"] == SCHEDULE_GROUP
    # The monitor's 10-minute window, the 2 minutes Sumo runs log monitors behind, and 5 minutes of margin.
    assert environment["REMEDIATION_VERIFY_SECONDS"] == "1020"
    circuit_breaker = {
        "REMEDIATION_RELAPSE_SECONDS": "86400",
        "REMEDIATION_MAX_RELAPSES": "2",
        "REMEDIATION_CIRCUIT_HEAL_SECONDS": "86400",
        "REMEDIATION_FLEET_MAX_CONCURRENT": "2",
        "REMEDIATION_FLEET_MAX_SHARE_PERCENT": "50",
    }
    assert {name: environment.get(name) for name in circuit_breaker} == circuit_breaker


def test_teardown_removes_everything_and_site_deploys_again(deployment: Deployment) -> None:
    deployment.run("deploy", "site.yml")
    pending_verification(deployment.twin)
    teardown = deployment.run("teardown", "playbooks/teardown.yml", confirm="yes")

    assert teardown.returncode == 0, teardown.output[-4000:]
    assert nothing_left(deployment.resources()) == {}
    # The group went with its schedules: no verification fires at a function that is gone.
    assert schedules_in_group(deployment.twin) == []

    twice = deployment.run("teardown-again", "playbooks/teardown.yml", confirm="yes")
    assert twice.returncode == 0, twice.output[-4000:]
    assert twice.changed == 0, twice.changed_tasks

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
