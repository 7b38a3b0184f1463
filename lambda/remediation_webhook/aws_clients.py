"""The boto3 clients, built once per container with standard-mode retries (throttling backs off and retries)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

# Standard mode retries throttling and transient errors with exponential backoff; 4 attempts keep a call under the
# Function URL's patience while riding out a short "Rate exceeded" burst.
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 4}, connect_timeout=3, read_timeout=10)


@dataclass(frozen=True)
class AwsClients:
    ssm: Any
    dynamodb: Any
    sns: Any


def build_clients() -> AwsClients:
    """Endpoint, region and credentials come from the runtime environment (AWS_ENDPOINT_URL points at the twin)."""
    session = boto3.session.Session()
    return AwsClients(
        ssm=session.client("ssm", config=CLIENT_CONFIG),
        dynamodb=session.client("dynamodb", config=CLIENT_CONFIG),
        sns=session.client("sns", config=CLIENT_CONFIG),
    )
