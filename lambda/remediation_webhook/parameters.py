"""Cached reads of the two SSM parameters the function obeys: the webhook secret and the kill switch."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parameters import SSMProvider

SWITCH_ENABLED = "enabled"


class ParameterReader:
    """Reads through Powertools' SSMProvider so a warm container makes no AWS call until a value's cache age ends."""

    def __init__(self, ssm_client: Any, secret_name: str, secret_max_age: int, switch_name: str, switch_max_age: int):
        self._provider = SSMProvider(boto3_client=ssm_client)
        self._secret_name, self._secret_max_age = secret_name, secret_max_age
        self._switch_name, self._switch_max_age = switch_name, switch_max_age

    def webhook_secret(self) -> str:
        """The SecureString value; raises GetParameterError (which never holds the value) when it cannot be read."""
        return str(self._provider.get(self._secret_name, max_age=self._secret_max_age, decrypt=True) or "")

    def remediation_enabled(self) -> bool:
        """True only for ``enabled``: a typo or an empty value stops remediation rather than starting it."""
        value = self._provider.get(self._switch_name, max_age=self._switch_max_age, decrypt=False)
        return str(value or "").strip().lower() == SWITCH_ENABLED
