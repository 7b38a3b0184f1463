"""Fixtures for engine tests: an in-process moto server, boto3 clients to it, a fast clock and a service factory."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from emulator.automation import AutomationService, InMemoryDocumentSource
from emulator.clock import ScaledClock

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
FAST = 10_000.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def client_factory(moto_url: str) -> Callable[[str], Any]:
    clients: dict[str, Any] = {}

    def make(service: str) -> Any:
        if service not in clients:
            clients[service] = boto3.client(
                service,
                endpoint_url=moto_url,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
        return clients[service]

    return make


@pytest.fixture
def ec2(client_factory: Callable[[str], Any]) -> Any:
    return client_factory("ec2")


def launch_instance(ec2: Any, tags: dict[str, str] | None = None) -> str:
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    tag_specs = (
        [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    )
    response = ec2.run_instances(
        ImageId=image_id, MinCount=1, MaxCount=1, InstanceType="t3.micro", TagSpecifications=tag_specs
    )
    return response["Instances"][0]["InstanceId"]


@pytest.fixture
def instance_id(ec2: Any) -> str:
    return launch_instance(ec2)


def instance_state(ec2: Any, instance_id: str) -> str:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]


@pytest.fixture
def clock() -> ScaledClock:
    return ScaledClock(speed=FAST)


@pytest.fixture
def documents() -> InMemoryDocumentSource:
    return InMemoryDocumentSource()


@pytest.fixture
def service(
    clock: ScaledClock, client_factory: Callable[[str], Any], documents: InMemoryDocumentSource
) -> Iterator[AutomationService]:
    automation = AutomationService(clock, client_factory, documents, ACCOUNT_ID, REGION, None)
    yield automation
    automation.close()


class Runbook:
    """Registers YAML runbooks and runs them to the end, for tests that read like the behaviour."""

    def __init__(self, service: AutomationService, documents: InMemoryDocumentSource) -> None:
        self.service = service
        self.documents = documents
        self._count = 0

    def add(self, yaml_text: str, name: str | None = None) -> str:
        self._count += 1
        name = name or f"TestRunbook{self._count}"
        self.documents.put_document(name, textwrap.dedent(yaml_text), "YAML")
        return name

    def start(self, name: str, **parameters: Any) -> str:
        wire = {key: value if isinstance(value, list) else [value] for key, value in parameters.items()}
        request: dict[str, Any] = {"DocumentName": name}
        if wire:
            request["Parameters"] = wire
        return self.service.start_automation_execution(request)["AutomationExecutionId"]

    def run(self, yaml_text: str, **parameters: Any) -> dict[str, Any]:
        execution_id = self.start(self.add(yaml_text), **parameters)
        return self.service.wait_until_finished(execution_id)

    def get(self, execution_id: str) -> dict[str, Any]:
        return self.service.get_automation_execution({"AutomationExecutionId": execution_id})["AutomationExecution"]


@pytest.fixture
def runbook(service: AutomationService, documents: InMemoryDocumentSource) -> Runbook:
    return Runbook(service, documents)


def steps_by_name(execution: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["StepName"]: step for step in execution["StepExecutions"]}
