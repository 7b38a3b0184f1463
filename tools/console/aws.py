"""The console's AWS connection: one boto3 session for the deployment, and every AWS failure turned into one
sentence that names what was being read or changed and where (ConsoleError)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from tools.console.deployment import Deployment
from tools.console.errors import ConsoleError

# A console must answer quickly or say why: few retries, short timeouts (an unreachable endpoint fails in seconds).
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=3, read_timeout=15)
# Error codes AWS answers when the named resource is not there.
NOT_FOUND = {
    "ResourceNotFoundException",  # DynamoDB, Lambda, CloudWatch Logs
    "ParameterNotFound",  # SSM parameters
    "InvalidDocument",  # SSM documents
    "AutomationExecutionNotFoundException",
    "NotFound",  # SNS topics
}
_UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)
_NO_CREDENTIALS = (NoCredentialsError, PartialCredentialsError)


class Aws:
    """boto3 clients for the deployment's region, endpoint and keys (or the standard chain when it gives none)."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self._session = boto3.session.Session(
            region_name=deployment.region,
            aws_access_key_id=deployment.access_key or None,
            aws_secret_access_key=deployment.secret_key or None,
        )
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service, endpoint_url=self.deployment.endpoint_url or None, config=CLIENT_CONFIG
            )
        return self._clients[service]

    @contextmanager
    def about(self, what: str) -> Iterator[None]:
        """Calls that read or change `what` (e.g. "the state table ec2-autoremediation-state"); any AWS failure
        becomes a ConsoleError naming it."""
        try:
            yield
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "ClientError"))
            raise ConsoleError(self._refusal(what, error), code) from None
        except _UNREACHABLE as error:
            raise ConsoleError(f"cannot reach AWS ({self.deployment.where}) for {what}: {error}") from None
        except _NO_CREDENTIALS:
            raise ConsoleError(
                f"no AWS credentials for {what}: set AWS_PROFILE (or sign in with SSO, or export "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) for the account the inventory deploys to"
            ) from None
        except NoRegionError:
            raise ConsoleError(f"no AWS region for {what}: the inventory sets none") from None
        except BotoCoreError as error:
            raise ConsoleError(f"AWS ({self.deployment.where}) failed on {what}: {error}") from None

    def _refusal(self, what: str, error: ClientError) -> str:
        details = error.response.get("Error", {})
        code = str(details.get("Code", "ClientError"))
        message = str(details.get("Message", "")).strip()
        if code in NOT_FOUND:
            return f"{what} does not exist in {self.deployment.where} ({code}): {self.deployment.deploy_hint()}"
        said = f"{code}: {message}" if message else code
        return f"AWS ({self.deployment.where}) refused {error.operation_name} on {what}: {said}"

    def caller_arn(self) -> str:
        """Who is making a change: the caller's identity (STS GetCallerIdentity), recorded with every change."""
        with self.about("the caller's identity (sts:GetCallerIdentity)"):
            return str(self.client("sts").get_caller_identity()["Arn"])
