"""Fixtures for engine tests: an in-process moto server, boto3 clients to it, a fast clock and a service factory."""

from __future__ import annotations

import socket
import textwrap
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from emulator.automation import AutomationService, InMemoryDocumentSource
from emulator.clock import ScaledClock

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
# A call to moto takes 10-100 ms of real time, i.e. 10-100 virtual seconds at this speed: far inside AWS's timeouts.
AWS_SPEED = 1_000.0
# For runbooks that only wait (sleep, approve, pause): ten virtual minutes pass in 60 ms.
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


# moto runs instances from any image id; listing its hundreds of public images would cost seconds.
IMAGE_ID = "ami-12c6146b"


def launch_instance(ec2: Any, tags: dict[str, str] | None = None) -> str:
    tag_specs = (
        [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    )
    response = ec2.run_instances(
        ImageId=IMAGE_ID, MinCount=1, MaxCount=1, InstanceType="t3.micro", TagSpecifications=tag_specs
    )
    return response["Instances"][0]["InstanceId"]


@pytest.fixture
def instance_id(ec2: Any) -> str:
    return launch_instance(ec2)


def instance_state(ec2: Any, instance_id: str) -> str:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]


@pytest.fixture
def clock() -> ScaledClock:
    return ScaledClock(speed=AWS_SPEED)


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

    def run_targeted(self, request: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Start a run over targets (`request`: DocumentName, Targets, TargetParameterName, ...) and wait for it to end;
        the parent execution and its children's metadata."""
        parent_id = self.service.start_automation_execution(request)["AutomationExecutionId"]
        parent = self.service.wait_until_finished(parent_id)
        children = self.service.describe_automation_executions(
            {"Filters": [{"Key": "ParentExecutionId", "Values": [parent_id]}]}
        )["AutomationExecutionMetadataList"]
        return parent, children

    def get(self, execution_id: str) -> dict[str, Any]:
        return self.service.get_automation_execution({"AutomationExecutionId": execution_id})["AutomationExecution"]


@pytest.fixture
def runbook(service: AutomationService, documents: InMemoryDocumentSource) -> Runbook:
    return Runbook(service, documents)


def steps_by_name(execution: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["StepName"]: step for step in execution["StepExecutions"]}


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Poll (real time) until `predicate` returns something truthy; for states reached by background threads."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"condition not met within {timeout} s")


def wait_for_status(runbook: Runbook, execution_id: str, status: str) -> dict[str, Any]:
    return wait_until(
        lambda: (execution := runbook.get(execution_id))["AutomationExecutionStatus"] == status and execution
    )


class FaultyClient:
    """Delegates to a real client, except that `operation` raises a ClientError (the first `times` calls, or always)."""

    def __init__(self, client: Any, operation: str, code: str, times: int | None = None, replace: Any = None) -> None:
        self._client = client
        self._operation = operation
        self._code = code
        self._remaining = times
        self._replace = replace
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name != self._operation:
            return real

        def faulty(**kwargs: Any) -> Any:
            self.calls += 1
            if self._remaining is None or self._remaining > 0:
                if self._remaining is not None:
                    self._remaining -= 1
                if self._replace is not None:
                    return self._replace(real(**kwargs))
                raise ClientError({"Error": {"Code": self._code, "Message": "injected fault"}}, self._operation)
            return real(**kwargs)

        return faulty


def faulty_factory(
    client_factory: Callable[[str], Any], service_name: str, client: FaultyClient
) -> Callable[[str], Any]:
    return lambda name: client if name == service_name else client_factory(name)


@pytest.fixture
def make_runbook(
    client_factory: Callable[[str], Any], documents: InMemoryDocumentSource
) -> Iterator[Callable[..., Runbook]]:
    """A Runbook over its own service, for tests that need another clock, client factory or script environment."""
    services: list[AutomationService] = []

    def make(
        clock: ScaledClock | None = None,
        factory: Callable[[str], Any] | None = None,
        script_environment: dict[str, str] | None = None,
    ) -> Runbook:
        automation = AutomationService(
            clock or ScaledClock(speed=AWS_SPEED),
            factory or client_factory,
            documents,
            ACCOUNT_ID,
            REGION,
            script_environment,
        )
        services.append(automation)
        return Runbook(automation, documents)

    yield make
    for automation in services:
        automation.close()
