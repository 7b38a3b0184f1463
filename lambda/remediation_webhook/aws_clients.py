"""The boto3 clients, built once per container with standard-mode retries (throttling backs off and retries)."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

# Standard mode retries throttling and transient errors with exponential backoff; 4 attempts in all ride out a short
# "Rate exceeded" burst while keeping a call well inside the Function URL's patience.
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 4}, connect_timeout=3, read_timeout=10)


class AwsClients:
    """SSM and DynamoDB, used by every alert, are built at once; SNS (recoveries and escalations) and Scheduler (the
    verification timer, set after a start) on first use, which keeps them off the cold start of the common path
    (each client costs ~20 ms to build)."""

    def __init__(self, session: Any = None) -> None:
        # Endpoint, region and credentials come from the runtime environment (AWS_ENDPOINT_URL points at the twin).
        self._session = session or boto3.session.Session()
        self.ssm = self._session.client("ssm", config=CLIENT_CONFIG)
        self.dynamodb = self._session.client("dynamodb", config=CLIENT_CONFIG)
        self._lazy: dict[str, Any] = {}
        self._lazy_lock = threading.Lock()

    def _client(self, service: str) -> Any:
        with self._lazy_lock:
            if service not in self._lazy:
                self._lazy[service] = self._session.client(service, config=CLIENT_CONFIG)
            return self._lazy[service]

    @property
    def sns(self) -> Any:
        return self._client("sns")

    @property
    def scheduler(self) -> Any:
        return self._client("scheduler")


def build_clients() -> AwsClients:
    return AwsClients()
