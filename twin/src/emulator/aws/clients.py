"""boto3 clients that call this twin over HTTP, so the engine's AWS calls meet the same faults and EC2 realism."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

# Not secrets: moto accepts any credentials, and these only ever reach the loopback twin.
TWIN_ACCESS_KEY_ID = "testing"
TWIN_SECRET_ACCESS_KEY = "testing"  # noqa: S105


class TwinClientFactory:
    """`factory("ec2")` -> a cached boto3 client for the twin; one attempt, so the engine sees every error as is."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._lock = threading.Lock()
        self._session = boto3.session.Session(
            aws_access_key_id=TWIN_ACCESS_KEY_ID, aws_secret_access_key=TWIN_SECRET_ACCESS_KEY, region_name=region
        )
        self._clients: dict[str, Any] = {}
        self._config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)

    def __call__(self, service_name: str) -> Any:
        with self._lock:
            client = self._clients.get(service_name)
            if client is None:
                client = self._clients[service_name] = self._session.client(
                    service_name, endpoint_url=self.endpoint_url, config=self._config
                )
            return client

    def script_environment(self) -> dict[str, str]:
        """Environment for aws:executeScript code, so its boto3 calls reach the twin too."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_ACCESS_KEY_ID": TWIN_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": TWIN_SECRET_ACCESS_KEY,
        }
