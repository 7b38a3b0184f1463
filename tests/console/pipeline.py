"""A deployment the console can read, made in the session twin: lambda_testkit's isolated table, parameters, topic
(with a raw-delivery queue) and runbook stand-in, plus what the console reads beyond them: a function carrying the
webhook's environment and its log group. The real webhook code runs in this process against it, and its decision
lines are shipped to the log group as Lambda would ship them."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

from lambda_testkit import LAMBDA_TRUST, SECRET, AwsEndpoint, LogCapture, alert_event, create_deployment
from lambda_testkit import Deployment as LambdaDeployment
from remediation_webhook import app

from emulator.readiness import create_function_and_wait_until_active
from emulator.testing import REGION, TEST_CREDENTIALS
from tools.console.cli import build_parser, serve
from tools.console.deployment import Deployment
from tools.console.terminal import Terminal

FINISHED = {"Success", "Failed", "Cancelled", "TimedOut", "CompletedWithSuccess", "CompletedWithFailure"}
# The runbook's outputs (ssm_documents/remediate-ec2-instance.yaml), from one step, so executions have an outcome.
RECORDING_DOCUMENT = {
    "schemaVersion": "0.3",
    "description": "Stand-in for the remediation runbook that records an outcome as the real one does.",
    "assumeRole": "{{ AutomationAssumeRole }}",
    "parameters": {
        "InstanceId": {"type": "String", "default": ""},
        "TopicArn": {"type": "String"},
        "AutomationAssumeRole": {"type": "String", "default": ""},
        "Reason": {"type": "String", "default": ""},
        "AlertId": {"type": "String", "default": ""},
        "DryRun": {"type": "String", "default": "false"},
    },
    "mainSteps": [
        {
            "name": "recordOutcome",
            "action": "aws:executeScript",
            "isEnd": True,
            "inputs": {
                "Runtime": "python3.11",
                "Handler": "record",
                "Script": (
                    "def record(events, context):\n"
                    "    return {'Outcome': 'success', 'ActionTaken': 'rebooted', 'NotificationMessageId': 'm-1'}\n"
                ),
            },
            "outputs": [
                {"Name": "Outcome", "Selector": "$.Payload.Outcome", "Type": "String"},
                {"Name": "ActionTaken", "Selector": "$.Payload.ActionTaken", "Type": "String"},
                {"Name": "NotificationMessageId", "Selector": "$.Payload.NotificationMessageId", "Type": "String"},
            ],
        }
    ],
    "outputs": ["recordOutcome.Outcome", "recordOutcome.ActionTaken", "recordOutcome.NotificationMessageId"],
}


@dataclass(frozen=True)
class Answer:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class ConsoleSite:
    """One isolated deployment, the console's view of it, and the webhook running against it."""

    aws: AwsEndpoint
    site: LambdaDeployment
    console: Deployment
    _stream: str = "2026/01/01/[$LATEST]console-tests"
    _captured: LogCapture = field(default_factory=LogCapture)

    @property
    def instance_id(self) -> str:
        return self.site.instance_ids[0]

    @property
    def table(self) -> str:
        return self.site.env["REMEDIATION_STATE_TABLE"]

    def twin_now(self) -> float:
        return float(self.aws.control.clock()["now"])

    def console_run(self, *argv: str) -> Answer:
        """The console's command line, run against this deployment (no inventory to resolve)."""
        out, err = io.StringIO(), io.StringIO()
        code = serve(build_parser().parse_args(list(argv)), Terminal(out, err), lambda: self.console)
        return Answer(code, out.getvalue(), err.getvalue())

    def deliver(self, secret: str = SECRET, **payload: Any) -> dict[str, Any]:
        """One webhook delivery through the real function code at the twin's now (a new alert each time unless
        TriggerTimeStart is given); its decision lines go to the log group."""
        self.site.clock.now = self.twin_now()
        payload.setdefault("TriggerTimeStart", str(int(self.site.clock.now * 1000)))
        self._captured.setFormatter(app.logger.registered_formatter)
        self._captured.lines.clear()
        app.logger.addHandler(self._captured)
        try:
            response = app.handle_event(alert_event(secret, **payload), self.site.runtime())
        finally:
            app.logger.removeHandler(self._captured)
        self.ship_lines(self._captured.lines)
        return json.loads(response["body"])

    def ship_lines(self, lines: list[str]) -> None:
        if lines:
            now_ms = int(time.time() * 1000)
            events = [{"timestamp": now_ms, "message": line} for line in lines]
            self.aws.client("logs").put_log_events(
                logGroupName=self.console.log_group, logStreamName=self._stream, logEvents=events
            )

    def wait_for_execution(self, execution_id: str, timeout: float = 60.0) -> dict[str, Any]:
        ssm = self.aws.client("ssm")
        deadline = time.monotonic() + timeout
        while True:
            execution = ssm.get_automation_execution(AutomationExecutionId=execution_id)["AutomationExecution"]
            if execution["AutomationExecutionStatus"] in FINISHED or time.monotonic() > deadline:
                return execution
            time.sleep(0.1)

    def put_item(self, target: str, **values: Any) -> None:
        """A state item as the function writes it (numbers as N, strings as S)."""
        item = {"pk": {"S": f"target#{target}"}}
        for name, value in values.items():
            item[name] = {"N": str(int(value))} if isinstance(value, int | float) else {"S": str(value)}
        self.aws.client("dynamodb").put_item(TableName=self.table, Item=item)

    def item(self, target: str) -> dict[str, Any]:
        return self.site.state(target)

    def switch(self) -> str:
        name = self.site.env["REMEDIATION_SWITCH_PARAMETER"]
        return str(self.aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])


def _function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def create_console_site(aws: AwsEndpoint, **options: Any) -> ConsoleSite:
    site = create_deployment(aws, **options)
    ssm, suffix = aws.client("ssm"), uuid.uuid4().hex[:10]
    document = site.env["REMEDIATION_DOCUMENT_NAME"]
    version = ssm.update_document(Name=document, Content=json.dumps(RECORDING_DOCUMENT), DocumentVersion="$LATEST")
    ssm.update_document_default_version(
        Name=document, DocumentVersion=version["DocumentDescription"]["DocumentVersion"]
    )
    function = f"console-webhook-{suffix}"
    role_arn = aws.client("iam").create_role(
        RoleName=f"console-webhook-{suffix}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
    )["Role"]["Arn"]
    create_function_and_wait_until_active(
        aws.client("lambda"),
        FunctionName=function,
        Runtime="python3.12",
        Role=role_arn,
        Handler="index.handler",
        Code={"ZipFile": _function_zip()},
        Environment={"Variables": site.env},
    )
    log_group = f"/aws/lambda/{function}"
    logs = aws.client("logs")
    logs.create_log_group(logGroupName=log_group)
    logs.create_log_stream(logGroupName=log_group, logStreamName=ConsoleSite._stream)
    console = Deployment(
        region=REGION,
        table=site.env["REMEDIATION_STATE_TABLE"],
        switch_parameter=site.env["REMEDIATION_SWITCH_PARAMETER"],
        document=document,
        function=function,
        log_group=log_group,
        endpoint_url=aws.url,
        access_key=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        secret_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        inventory="tests/console",
    )
    return ConsoleSite(aws, site, console)
