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
    """SSM and DynamoDB, used by every alert, are built at once; SNS, used only for recoveries and escalations, on
    first use, which keeps it off the cold start of the common path (each client costs ~20 ms to build)."""

    def __init__(self, session: Any = None) -> None:
        # Endpoint, region and credentials come from the runtime environment (AWS_ENDPOINT_URL points at the twin).
        self._session = session or boto3.session.Session()
        self.ssm = self._session.client("ssm", config=CLIENT_CONFIG)
        self.dynamodb = self._session.client("dynamodb", config=CLIENT_CONFIG)
        self._sns: Any = None
        self._sns_lock = threading.Lock()

    @property
    def sns(self) -> Any:
        with self._sns_lock:
            if self._sns is None:
                self._sns = self._session.client("sns", config=CLIENT_CONFIG)
            return self._sns


def build_clients() -> AwsClients:
    return AwsClients()
