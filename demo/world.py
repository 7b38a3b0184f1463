"""The demo's handles on the twin and on what site.yml deployed into it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from demo.power import PowerHistory
from emulator.control_client import TwinControl
from tools.sumo_spec import use_reference_spec

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT = "ec2-autoremediation"
REGION = "us-east-1"
TWIN_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class Twin:
    aws_url: str
    sumo_url: str
    started_here: bool = False

    @classmethod
    def from_environment(cls) -> Twin:
        aws_port = os.environ.get("TWIN_AWS_PORT", "4566")
        sumo_port = os.environ.get("TWIN_SUMO_PORT", "4567")
        return cls(f"http://127.0.0.1:{aws_port}", f"http://127.0.0.1:{sumo_port}")

    @property
    def control(self) -> TwinControl:
        return TwinControl(self.aws_url, self.sumo_url)

    def healthy(self) -> bool:
        return self.control.healthy()

    def ensure_up(self) -> None:
        if self.healthy():
            return
        environment = dict(os.environ)
        use_reference_spec(environment)
        subprocess.run([sys.executable, "-m", "emulator", "up"], cwd=REPO_ROOT, env=environment, check=True)
        self.started_here = True

    def stop(self) -> None:
        subprocess.run([sys.executable, "-m", "emulator", "down"], cwd=REPO_ROOT, check=False)

    def now(self) -> float:
        return float(self.control.clock()["now"])

    def speed(self) -> float:
        return float(self.control.clock()["speed"])

    def set_speed(self, speed: float) -> None:
        self.control.change_clock(speed=speed)

    def power_history(self, instance_id: str) -> PowerHistory:
        return PowerHistory.from_answer(self.control.power_history(instance_id))

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.aws_url, region_name=REGION, **TWIN_CREDENTIALS)


@dataclass(frozen=True)
class Deployment:
    """What site.yml made, found by the names and tags in playbooks/vars/resources.yml."""

    instance_id: str
    topic_arn: str
    function_name: str
    function_url: str
    document_name: str
    log_group: str

    @classmethod
    def discover(cls, twin: Twin, project: str = PROJECT) -> Deployment:
        instance_id = find_instance(twin, project)
        if instance_id is None:
            raise RuntimeError("the instance site.yml makes was not found; did site.yml run?")
        topic_name = f"{project}-notifications"
        topics = [t["TopicArn"] for t in twin.client("sns").list_topics()["Topics"]]
        topic_arn = next((arn for arn in topics if arn.endswith(f":{topic_name}")), None)
        if topic_arn is None:
            raise RuntimeError(f"SNS topic {topic_name} not found; did site.yml run?")
        function_name = f"{project}-webhook"
        function_url = twin.client("lambda").get_function_url_config(FunctionName=function_name)["FunctionUrl"]
        return cls(
            instance_id=instance_id,
            topic_arn=topic_arn,
            function_name=function_name,
            function_url=function_url,
            document_name=f"{project}-remediate-instance",
            log_group=f"/aws/lambda/{function_name}",
        )


def subscribe_queue(twin: Twin, topic_arn: str, queue_name: str) -> str:
    """An SQS queue subscribed to the topic: the demo's stand-in for the on-call inbox."""
    sqs = twin.client("sqs")
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)})
    twin.client("sns").subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return queue_url


def start_playbook(
    playbook: str, log_path: Path, *extra_args: str, twin: Twin | None = None
) -> subprocess.Popen[bytes]:
    """Start one playbook against the twin in the background; its full output goes to `log_path`."""
    environment = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / "collections"), "ANSIBLE_NOCOLOR": "1"}
    if twin is not None:  # inventory/local finds the twin through these
        environment["TWIN_AWS_PORT"] = twin.aws_url.rsplit(":", 1)[1]
        environment["TWIN_SUMO_PORT"] = twin.sumo_url.rsplit(":", 1)[1]
    command = [str(Path(sys.executable).parent / "ansible-playbook"), playbook, *extra_args]
    with log_path.open("wb") as log:
        return subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)


def play_recap(log_path: Path) -> str:
    lines = log_path.read_text().splitlines()
    recap_starts = [index for index, line in enumerate(lines) if line.startswith("PLAY RECAP")]
    recap = lines[recap_starts[-1] + 1 :] if recap_starts else lines[-15:]
    return "\n".join(line for line in recap if line.strip())


def run_playbook(playbook: str, log_path: Path, *extra_args: str, twin: Twin | None = None) -> tuple[int, str]:
    """Run one playbook against the twin to the end; returns its exit code and its recap."""
    code = start_playbook(playbook, log_path, *extra_args, twin=twin).wait()
    return code, play_recap(log_path)


def find_instance(twin: Twin, project: str = PROJECT) -> str | None:
    """The instance site.yml made, once it exists (it is tagged with the project)."""
    reservations = twin.client("ec2").describe_instances(
        Filters=[
            {"Name": "tag:remediation:project", "Values": [project]},
            {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
        ]
    )["Reservations"]
    instances = [instance["InstanceId"] for reservation in reservations for instance in reservation["Instances"]]
    if len(instances) > 1:
        raise RuntimeError(f"expected one instance of {project}, found {instances}; run the teardown first")
    return instances[0] if instances else None
