"""boto3 clients that call this twin over HTTP, so the engine's AWS calls meet the same faults and EC2 realism.

The engine acts as a document's assumeRole as SSM does: `assume_role` calls STS AssumeRole on the twin and answers
clients (and a script environment) signed with the session's credentials, so the twin can tell which role made each
call (callers.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from emulator.automation.actions.base import RoleAssumptionError, RoleSession

# Not secrets: moto accepts any credentials, and these only ever reach the loopback twin.
TWIN_ACCESS_KEY_ID = "testing"
TWIN_SECRET_ACCESS_KEY = "testing"  # noqa: S105


@dataclass(frozen=True)
class SessionCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def as_client_arguments(self) -> dict[str, str]:
        arguments = {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key}
        if self.session_token:
            arguments["aws_session_token"] = self.session_token
        return arguments

    def as_environment(self) -> dict[str, str]:
        environment = {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            environment["AWS_SESSION_TOKEN"] = self.session_token
        return environment


TWIN_CREDENTIALS = SessionCredentials(TWIN_ACCESS_KEY_ID, TWIN_SECRET_ACCESS_KEY)


class _SharedSession:
    """One boto3 session for a factory and the factories of the roles it assumes, so their clients reuse the
    service models it has loaded; a boto3 session is not thread-safe, so clients are made one at a time."""

    def __init__(self, region: str) -> None:
        self._session = boto3.session.Session(region_name=region)
        self._lock = threading.Lock()

    def client(self, service_name: str, **arguments: Any) -> Any:
        with self._lock:
            return self._session.client(service_name, **arguments)


class TwinClientFactory:
    """`factory("ec2")` -> a cached boto3 client for the twin; one attempt, so the engine sees every error as is."""

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        credentials: SessionCredentials = TWIN_CREDENTIALS,
        shared_session: _SharedSession | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.credentials = credentials
        self._lock = threading.Lock()
        self._session = shared_session or _SharedSession(region)
        self._clients: dict[str, Any] = {}
        self._config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)

    def __call__(self, service_name: str) -> Any:
        with self._lock:
            client = self._clients.get(service_name)
            if client is None:
                client = self._clients[service_name] = self._session.client(
                    service_name,
                    endpoint_url=self.endpoint_url,
                    config=self._config,
                    **self.credentials.as_client_arguments(),
                )
            return client

    def assume_role(self, role_arn: str, session_name: str) -> RoleSession:
        """STS AssumeRole on the twin; clients and a script environment that use the session's credentials."""
        try:
            answer = self("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        except (ClientError, BotoCoreError) as error:
            raise RoleAssumptionError(f"{role_arn}: {error}") from None
        credentials = SessionCredentials(answer["AccessKeyId"], answer["SecretAccessKey"], answer.get("SessionToken"))
        factory = TwinClientFactory(self.endpoint_url, self.region, credentials, self._session)
        return RoleSession(factory, factory.script_environment())

    def script_environment(self) -> dict[str, str]:
        """Environment for aws:executeScript code, so its boto3 calls reach the twin too."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            **self.credentials.as_environment(),
        }
