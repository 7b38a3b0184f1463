"""Run the remediation runbook on the twin: deploy it, make instances in a given state, run it, read its SNS mail."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.testing import RunningTwin

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCUMENT_PATH = REPO_ROOT / "ssm_documents" / "remediate-ec2-instance.yaml"
# What the deploy publishes the runbook with (CreateDocument TargetType): fleet runs by tag reach instances only.
TARGET_TYPE = "/AWS::EC2::Instance"
# An AMI that moto ships in its default image list (moto/ec2/resources/amis.json.gz).
MOTO_AMI_ID = "ami-12c6146b"
FINAL_STATUSES = frozenset({"Success", "Failed", "TimedOut", "Cancelled"})
# Real seconds a test waits for the twin; virtual time runs 100x (or faster inside clock_speed blocks).
REAL_TIME_LIMIT_SECONDS = 120.0
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Execution:
    """A finished (or waiting) automation execution, as GetAutomationExecution reports it."""

    execution_id: str
    status: str
    outputs: dict[str, list[str]]
    steps: list[dict[str, Any]]
    failure_message: str | None
    current_step: str | None = None

    def output(self, name: str) -> str:
        """The single value of a document output such as `recordOutcome.Outcome`."""
        values = self.outputs[name]
        assert len(values) == 1, f"{name} has {values!r}"
        return values[0]

    def step(self, name: str) -> dict[str, Any]:
        matches = [step for step in self.steps if step["StepName"] == name]
        assert matches, f"step {name} did not run; ran {self.step_names}"
        return matches[-1]

    @property
    def step_names(self) -> list[str]:
        return [step["StepName"] for step in self.steps]


@dataclass(frozen=True)
class Notification:
    """One SNS notification as an SQS subscriber receives it (the SNS envelope, not raw delivery)."""

    subject: str
    message: dict[str, Any]
    attributes: dict[str, dict[str, str]]
    envelope: dict[str, Any]


@dataclass
class RunbookHarness:
    """The runbook deployed on one twin, with a topic whose notifications land in an SQS queue."""

    twin: RunningTwin
    document_name: str
    topic_arn: str
    queue_url: str
    default_timings: dict[str, float]
    instance_ids: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, twin: RunningTwin) -> RunbookHarness:
        suffix = uuid.uuid4().hex[:8]
        document_name = f"RemediateEc2Instance-{suffix}"
        twin.client("ssm").create_document(
            Content=DOCUMENT_PATH.read_text(encoding="utf-8"),
            Name=document_name,
            DocumentType="Automation",
            DocumentFormat="YAML",
            TargetType=TARGET_TYPE,
        )
        sns, sqs = twin.client("sns"), twin.client("sqs")
        topic_arn = sns.create_topic(Name=f"ec2-remediation-{suffix}")["TopicArn"]
        queue_url = sqs.create_queue(QueueName=f"remediation-mail-{suffix}")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "false"},
        )
        return cls(twin, document_name, topic_arn, queue_url, twin.control.timings("ec2"))

    # ---- the twin around the runbook -----------------------------------------------------------------------------

    def reset(self) -> None:
        """No faults, default EC2 timings, healthy instances, an empty queue."""
        control = self.twin.control
        control.clear_faults()
        control.set_timings("ec2", **self.default_timings)
        for instance_id in self.instance_ids:
            control.set_instance_health(instance_id, "ok")
        self.instance_ids.clear()
        # Drained by reading: SQS allows one PurgeQueue per minute.
        self.notifications()

    def inject_fault(self, service: str, operation: str, error_code: str, times: int | None = 1) -> None:
        self.twin.control.add_fault(
            service=service,
            operation=operation,
            error_code=error_code,
            message=f"Injected by the runbook tests: {error_code}",
            times=times,
        )

    def set_timings(self, **timings: float) -> None:
        self.twin.control.set_timings("ec2", **timings)

    def impair(self, instance_id: str) -> None:
        self.twin.control.set_instance_health(instance_id, "impaired")

    # ---- instances -----------------------------------------------------------------------------------------------

    def launch(self) -> str:
        """A new instance, started but possibly still pending."""
        reservation = self.twin.client("ec2").run_instances(
            ImageId=MOTO_AMI_ID, MinCount=1, MaxCount=1, InstanceType="t3.micro"
        )
        instance_id = reservation["Instances"][0]["InstanceId"]
        self.instance_ids.append(instance_id)
        return instance_id

    def running_instance(self) -> str:
        instance_id = self.launch()
        self.wait_for_state(instance_id, "running")
        return instance_id

    def stopped_instance(self) -> str:
        instance_id = self.running_instance()
        self.twin.client("ec2").stop_instances(InstanceIds=[instance_id])
        self.wait_for_state(instance_id, "stopped")
        return instance_id

    def terminated_instance(self) -> str:
        instance_id = self.running_instance()
        self.twin.client("ec2").terminate_instances(InstanceIds=[instance_id])
        self.wait_for_state(instance_id, "terminated")
        return instance_id

    def state(self, instance_id: str) -> str:
        reservations = self.twin.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
        return reservations[0]["Instances"][0]["State"]["Name"]

    def status_checks(self, instance_id: str) -> tuple[str, str] | None:
        """(instance check, system check) of a running instance, or None when EC2 lists no status."""
        statuses = self.twin.client("ec2").describe_instance_status(InstanceIds=[instance_id])["InstanceStatuses"]
        if not statuses:
            return None
        return statuses[0]["InstanceStatus"]["Status"], statuses[0]["SystemStatus"]["Status"]

    def wait_for_state(self, instance_id: str, state: str) -> None:
        _wait_until(lambda: self.state(instance_id) == state, f"{instance_id} to be {state}")

    # ---- running the runbook -------------------------------------------------------------------------------------

    def start(self, **parameters: Any) -> str:
        """Start an execution; `TopicArn` defaults to the harness's topic. Returns the execution id."""
        parameters.setdefault("TopicArn", self.topic_arn)
        response = self.twin.client("ssm").start_automation_execution(
            DocumentName=self.document_name,
            Parameters={name: _wire_values(value) for name, value in parameters.items()},
        )
        return response["AutomationExecutionId"]

    def run(self, **parameters: Any) -> Execution:
        """Start an execution and wait until it reaches a final status."""
        return self.wait_for_status(self.start(**parameters), FINAL_STATUSES)

    def execution(self, execution_id: str) -> Execution:
        wire = self.twin.client("ssm").get_automation_execution(AutomationExecutionId=execution_id)[
            "AutomationExecution"
        ]
        return Execution(
            execution_id=execution_id,
            status=wire["AutomationExecutionStatus"],
            outputs=wire.get("Outputs", {}),
            steps=wire.get("StepExecutions", []),
            failure_message=wire.get("FailureMessage"),
            current_step=wire.get("CurrentStepName"),
        )

    def wait_for_status(self, execution_id: str, statuses: frozenset[str] | set[str]) -> Execution:
        latest: list[Execution] = []

        def reached() -> bool:
            latest[:] = [self.execution(execution_id)]
            return latest[0].status in statuses

        _wait_until(reached, f"execution {execution_id} to reach {sorted(statuses)}", lambda: latest)
        return latest[0]

    def wait_for_current_step(self, execution_id: str, step_name: str) -> Execution:
        latest: list[Execution] = []

        def reached() -> bool:
            latest[:] = [self.execution(execution_id)]
            assert latest[0].status not in FINAL_STATUSES, f"execution ended before {step_name}: {latest[0]}"
            return latest[0].current_step == step_name

        _wait_until(reached, f"execution {execution_id} to run {step_name}", lambda: latest)
        return latest[0]

    def wait_for_step_status(self, execution_id: str, step_name: str, statuses: set[str]) -> Execution:
        latest: list[Execution] = []

        def reached() -> bool:
            latest[:] = [self.execution(execution_id)]
            steps = [step for step in latest[0].steps if step["StepName"] == step_name]
            return bool(steps) and steps[-1].get("StepStatus") in statuses

        _wait_until(reached, f"step {step_name} of {execution_id} to reach {sorted(statuses)}", lambda: latest)
        return latest[0]

    def signal(self, execution_id: str, signal_type: str, comment: str) -> None:
        self.twin.client("ssm").send_automation_signal(
            AutomationExecutionId=execution_id, SignalType=signal_type, Payload={"Comment": [comment]}
        )

    # ---- notifications -------------------------------------------------------------------------------------------

    def notifications(self) -> list[Notification]:
        """Every notification in the queue now (SNS delivers to SQS before Publish returns), removing them."""
        sqs = self.twin.client("sqs")
        received: list[Notification] = []
        while True:
            batch = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                "Messages", []
            )
            if not batch:
                return received
            for message in batch:
                envelope = json.loads(message["Body"])
                received.append(
                    Notification(
                        subject=envelope.get("Subject", ""),
                        message=json.loads(envelope["Message"]),
                        attributes=envelope.get("MessageAttributes", {}),
                        envelope=envelope,
                    )
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def only_notification(self) -> Notification:
        received = self.notifications()
        assert len(received) == 1, f"expected exactly one notification, got {[item.subject for item in received]}"
        return received[0]


def _wire_values(value: Any) -> list[str]:
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def _wait_until(condition: Any, what: str, last_seen: Any = None) -> None:
    deadline = time.monotonic() + REAL_TIME_LIMIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            seen = last_seen() if last_seen else None
            raise AssertionError(f"gave up waiting for {what}; last seen {seen!r}")
        time.sleep(POLL_SECONDS)


def document_text() -> str:
    return Path(DOCUMENT_PATH).read_text(encoding="utf-8")
