"""Test doubles for the AWS modules: a fake AnsibleAWSModule and moto-backed clients that accept `aws_retry`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
from moto import mock_aws

REGION = "us-east-1"


class ModuleFail(Exception):
    """Raised by FakeModule.fail_json, carrying what the module would have reported."""

    def __init__(self, **result: Any) -> None:
        super().__init__(result.get("msg"))
        self.result = result


class FakeModule:
    """What the modules' managers use of AnsibleAWSModule: params, check_mode, _diff and fail_json."""

    def __init__(self, argument_spec: dict[str, Any], check_mode: bool = False, **params: Any) -> None:
        self.params = {name: option.get("default") for name, option in argument_spec.items()}
        self.params.update(params)
        self.check_mode = check_mode
        self._diff = True
        self.warnings: list[str] = []

    def fail_json(self, **result: Any) -> None:
        raise ModuleFail(**result)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class RetrylessClient:
    """A boto3 client that drops the `aws_retry` flag AnsibleAWSModule's retrying wrapper would consume."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, aws_retry: bool = False, **kwargs: Any) -> Any:
            return attribute(*args, **kwargs)

        return call


def moto_clients() -> Iterator[Any]:
    """Yield a function that returns a moto-backed client for a service, all inside one mock_aws context."""
    with mock_aws(config={"lambda": {"use_docker": False}}):
        yield lambda service: RetrylessClient(boto3.client(service, region_name=REGION))
