"""Helpers for the remediation Lambda tests (imported as `lambda_testkit`: `tests.lambda` is not valid Python)."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from remediation_webhook import app
from remediation_webhook.aws_clients import AwsClients, build_clients

from emulator.control_client import TwinControl
from emulator.readiness import create_function_and_wait_until_active, create_table_and_wait_until_active
from emulator.testing import REGION, TEST_CREDENTIALS

EVENTS = Path(__file__).resolve().parent / "events"

SECRET = "s3cr3t-webhook-token-for-tests-0123456789"
STAND_IN_DOCUMENT = {
    "schemaVersion": "0.3",
    "description": "Stand-in for the remediation runbook: same parameters, one harmless step.",
    "assumeRole": "{{ AutomationAssumeRole }}",
    "parameters": {
        "InstanceId": {"type": "String", "description": "Instance to remediate."},
        "TopicArn": {"type": "String", "description": "Where to notify."},
        "AutomationAssumeRole": {"type": "String", "description": "Role to assume.", "default": ""},
        "Reason": {"type": "String", "description": "Why."},
        "AlertId": {"type": "String", "description": "Which alert."},
        "DryRun": {"type": "String", "description": "true or false.", "default": "false"},
    },
    "mainSteps": [
        {
            "name": "describeInstance",
            "action": "aws:executeAwsApi",
            "isEnd": True,
            "inputs": {"Service": "ec2", "Api": "DescribeInstances", "InstanceIds": ["{{ InstanceId }}"]},
        }
    ],
}


@dataclass(frozen=True)
class FakeLambdaContext:
    """The context attributes Powertools' inject_lambda_context reads, as the Python runtime passes them."""

    function_name: str = "remediation-webhook"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:remediation-webhook"
    aws_request_id: str = "52fdfc07-2182-154f-163f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class AwsEndpoint:
    """Where the twin's AWS side answers, with boto3 clients and its control API."""

    url: str
    _clients: dict[str, Any] = field(default_factory=dict)
    _image_id: str | None = None

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.url,
                region_name=REGION,
                config=Config(retries={"mode": "standard", "max_attempts": 2}),
                **{key.lower(): value for key, value in TEST_CREDENTIALS.items()},
            )
        return self._clients[service]

    def image_id(self) -> str:
        """An AMI the twin knows, looked up once: listing moto's images takes seconds."""
        if self._image_id is None:
            self._image_id = str(self.client("ec2").describe_images(Owners=["amazon"])["Images"][0]["ImageId"])
        return self._image_id

    @property
    def control(self) -> TwinControl:
        """The AWS side of the twin's control API (faults, for these tests)."""
        return TwinControl(aws_url=self.url)


_SHARED_CLIENTS: list[AwsClients] = []


def shared_clients() -> AwsClients:
    if not _SHARED_CLIENTS:
        _SHARED_CLIENTS.append(build_clients())
    return _SHARED_CLIENTS[0]


class FakeClock:
    """The Lambda's wall clock, moved by tests so cooldowns and windows pass without waiting."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Deployment:
    """One isolated set of resources (table, parameters, topic + queue, runbook) and the function's env for them."""

    aws: AwsEndpoint
    env: dict[str, str]
    queue_url: str
    instance_ids: list[str]
    clock: FakeClock

    def runtime(self, **overrides: str) -> app.Runtime:
        """A fresh container (its own parameter caches) reading `env` with `overrides`; boto3 clients are shared
        across the session because building them dominates a test's time and holds no state of the function's."""
        return app.build_runtime({**self.env, **overrides}, clients=shared_clients(), clock=self.clock)

    def set_secret(self, value: str) -> None:
        self.aws.client("ssm").put_parameter(
            Name=self.env["REMEDIATION_SECRET_PARAMETER"], Value=value, Type="SecureString", Overwrite=True
        )

    def set_switch(self, value: str) -> None:
        self.aws.client("ssm").put_parameter(
            Name=self.env["REMEDIATION_SWITCH_PARAMETER"], Value=value, Type="String", Overwrite=True
        )

    def timers(self) -> list[dict[str, Any]]:
        """Every pending verification timer of this deployment (its schedule group's schedules, in full)."""
        scheduler, group = self.aws.client("scheduler"), self.env["REMEDIATION_SCHEDULE_GROUP"]
        listed = scheduler.list_schedules(GroupName=group).get("Schedules", [])
        return [scheduler.get_schedule(Name=entry["Name"], GroupName=group) for entry in listed]

    def fire_timers(self, runtime: app.Runtime) -> list[dict[str, Any]]:
        """Invoke the function with the Input of each timer due by the deployment's clock, as Scheduler does, and
        delete it (ActionAfterCompletion=DELETE); the twin's own scheduler does this at twin time in the end-to-end
        tests. The timers a firing sets are left for the next call."""
        replies = []
        scheduler = self.aws.client("scheduler")
        for schedule in self.timers():
            due = datetime.strptime(schedule["ScheduleExpression"], "at(%Y-%m-%dT%H:%M:%S)").replace(tzinfo=UTC)
            if due.timestamp() > self.clock.now:
                continue
            scheduler.delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])
            replies.append(app.handle_event(json.loads(schedule["Target"]["Input"]), runtime))
        return replies

    def state(self, target_label: str) -> dict[str, Any]:
        """The decision item of one target, as plain values."""
        dynamodb, table = self.aws.client("dynamodb"), self.env["REMEDIATION_STATE_TABLE"]
        item = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"target#{target_label}"}}, ConsistentRead=True)
        return {name: next(iter(value.values())) for name, value in item.get("Item", {}).items()}

    def forget_decisions(self) -> None:
        """Delete every item of the decision table, as if each had expired or been removed by hand."""
        dynamodb, table = self.aws.client("dynamodb"), self.env["REMEDIATION_STATE_TABLE"]
        for item in dynamodb.scan(TableName=table, ProjectionExpression="pk")["Items"]:
            dynamodb.delete_item(TableName=table, Key={"pk": item["pk"]})

    def executions(self) -> list[dict[str, Any]]:
        """Every execution of this deployment's runbook, with its parameters and targets."""
        ssm = self.aws.client("ssm")
        found = []
        paginator_args: dict[str, Any] = {
            "Filters": [{"Key": "DocumentNamePrefix", "Values": [self.env["REMEDIATION_DOCUMENT_NAME"]]}]
        }
        while True:
            page = ssm.describe_automation_executions(**paginator_args)
            for summary in page.get("AutomationExecutionMetadataList", []):
                if summary.get("DocumentName") != self.env["REMEDIATION_DOCUMENT_NAME"]:
                    continue
                if summary.get("ParentAutomationExecutionId"):
                    continue
                execution_id = summary["AutomationExecutionId"]
                found.append(ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"])
            if not page.get("NextToken"):
                return found
            paginator_args["NextToken"] = page["NextToken"]

    def messages(self) -> list[dict[str, Any]]:
        """Every SNS message the topic delivered so far (raw delivery to an SQS queue), drained."""
        sqs = self.aws.client("sqs")
        drained = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            if not batch.get("Messages"):
                return drained
            for message in batch["Messages"]:
                drained.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


def create_deployment(aws: AwsEndpoint, instance_count: int = 1, tag: tuple[str, str] | None = None) -> Deployment:
    suffix = uuid.uuid4().hex[:10]
    ec2, ssm, sns, sqs, dynamodb = (aws.client(name) for name in ("ec2", "ssm", "sns", "sqs", "dynamodb"))
    image_id = aws.image_id()
    tags = [{"ResourceType": "instance", "Tags": [{"Key": tag[0], "Value": tag[1]}]}] if tag else []
    reservation = ec2.run_instances(
        ImageId=image_id,
        MinCount=instance_count,
        MaxCount=instance_count,
        InstanceType="t3.micro",
        TagSpecifications=tags,
    )
    instance_ids = sorted(instance["InstanceId"] for instance in reservation["Instances"])
    table = f"remediation-state-{suffix}"
    create_table_and_wait_until_active(
        dynamodb,
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    topic_arn = sns.create_topic(Name=f"remediation-{suffix}")["TopicArn"]
    queue_url = sqs.create_queue(QueueName=f"remediation-{suffix}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    document_name = f"Remediate-StandIn-{suffix}"
    ssm.create_document(
        Name=document_name, DocumentType="Automation", DocumentFormat="JSON", Content=json.dumps(STAND_IN_DOCUMENT)
    )
    group = f"remediation-{suffix}"
    aws.client("scheduler").create_schedule_group(Name=group)
    scheduler_role_arn = aws.client("iam").create_role(
        RoleName=f"remediation-scheduler-{suffix}", AssumeRolePolicyDocument=json.dumps(SCHEDULER_TRUST)
    )["Role"]["Arn"]
    secret_name, switch_name = f"/remediation/{suffix}/webhook-secret", f"/remediation/{suffix}/switch"
    ssm.put_parameter(Name=secret_name, Value=SECRET, Type="SecureString")
    ssm.put_parameter(Name=switch_name, Value="enabled", Type="String")
    env = {
        "REMEDIATION_SECRET_PARAMETER": secret_name,
        "REMEDIATION_SWITCH_PARAMETER": switch_name,
        "REMEDIATION_STATE_TABLE": table,
        "REMEDIATION_DOCUMENT_NAME": document_name,
        "REMEDIATION_TOPIC_ARN": topic_arn,
        "REMEDIATION_AUTOMATION_ROLE_ARN": "arn:aws:iam::123456789012:role/remediation-automation",
        "REMEDIATION_FUNCTION_ARN": f"arn:aws:lambda:{REGION}:123456789012:function:remediation-webhook-{suffix}",
        "REMEDIATION_SCHEDULER_ROLE_ARN": scheduler_role_arn,
        "REMEDIATION_SCHEDULE_GROUP": group,
    }
    if tag:
        env["REMEDIATION_TARGET_TAG"] = f"{tag[0]}={tag[1]}"
    else:
        env["REMEDIATION_TARGET_INSTANCE_IDS"] = ",".join(instance_ids)
    return Deployment(aws, env, queue_url, instance_ids, FakeClock())


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def alert_event(
    secret: str | None = SECRET, headers: dict[str, str] | None = None, **payload_changes: Any
) -> dict[str, Any]:
    """The recorded Critical alert event with the payload fields changed and the given bearer secret."""
    event = load_event("critical_alert.json")
    payload = json.loads(event["body"])
    payload.update(payload_changes)
    payload = {key: value for key, value in payload.items() if value is not None}
    event["body"] = json.dumps(payload)
    event["headers"] = dict(event["headers"])
    if secret is None:
        event["headers"].pop("authorization", None)
    else:
        event["headers"]["authorization"] = f"Bearer {secret}"
    event["headers"].update(headers or {})
    return event


def response_body(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["body"])


class LogCapture(logging.Handler):
    """Keeps every formatted line the function's logger writes."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self._lock_lines = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        with self._lock_lines:
            self.lines.append(line)

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]

    def decisions(self, name: str) -> list[dict[str, Any]]:
        return [record for record in self.records() if record.get("decision") == name]


SCHEDULER_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def deploy_function_url(aws: AwsEndpoint, zip_path: Path) -> tuple[Deployment, str, str, str]:
    """Deploy `zip_path` behind a public (AuthType NONE) Function URL with a fresh deployment's environment.

    Returns the deployment, the function's name, its URL and the CodeSha256 Lambda reported."""
    deployment = create_deployment(aws)
    role_arn = aws.client("iam").create_role(
        RoleName=f"remediation-webhook-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
    )["Role"]["Arn"]
    name = f"remediation-webhook-{uuid.uuid4().hex[:8]}"
    deployment.env["REMEDIATION_FUNCTION_ARN"] = f"arn:aws:lambda:{REGION}:123456789012:function:{name}"
    lam = aws.client("lambda")
    created = create_function_and_wait_until_active(
        lam,
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn,
        Handler="remediation_webhook.app.handler",
        Code={"ZipFile": zip_path.read_bytes()},
        Timeout=30,
        Environment={"Variables": {**deployment.env, "POWERTOOLS_SERVICE_NAME": "remediation-webhook"}},
    )
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    # The function checks the bearer secret itself; the URL is public as a third-party webhook's must be.
    lam.add_permission(
        FunctionName=name,
        StatementId="public-url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lam.add_permission(
        FunctionName=name,
        StatementId="public-url-invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
        InvokedViaFunctionUrl=True,
    )
    return deployment, name, url, created["CodeSha256"]
