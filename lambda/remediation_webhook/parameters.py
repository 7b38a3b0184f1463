"""Cached reads of the two SSM parameters the function obeys: the webhook secret and the kill switch."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

SWITCH_ENABLED = "enabled"


class ParameterReadError(Exception):
    """A parameter could not be read; the message is the SDK error's, which never holds the value."""


class ParameterReader:
    """One GetParameter per value and cache age, so a warm container makes no AWS call until a value's age ends.

    The cache works as Powertools' SSMProvider did (keyed by name, kept for max_age seconds of wall-clock time, not
    at all when max_age is 0, every failure raised as one error type), without the cold start paying for the import
    of Powertools' parameters utility and its providers for AppConfig, Secrets Manager and DynamoDB."""

    def __init__(self, ssm_client: Any, secret_name: str, secret_max_age: int, switch_name: str, switch_max_age: int):
        self._ssm = ssm_client
        self._secret_name, self._secret_max_age = secret_name, secret_max_age
        self._switch_name, self._switch_max_age = switch_name, switch_max_age
        self._cache: dict[str, tuple[str, datetime]] = {}  # name -> (value, kept until)

    def webhook_secret(self) -> str:
        """The SecureString value; raises ParameterReadError when it cannot be read."""
        return self._get(self._secret_name, self._secret_max_age, decrypt=True)

    def remediation_enabled(self) -> bool:
        """True only for ``enabled``: a typo or an empty value stops remediation rather than starting it."""
        value = self._get(self._switch_name, self._switch_max_age, decrypt=False)
        return value.strip().lower() == SWITCH_ENABLED

    def _get(self, name: str, max_age: int, decrypt: bool) -> str:
        cached = self._cache.get(name)
        if cached is not None and cached[1] >= datetime.now():
            return cached[0]
        try:
            value = str(self._ssm.get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]["Value"] or "")
        except Exception as error:  # any failure, not only a ClientError, leaves the value unknown
            raise ParameterReadError(str(error)) from error
        if max_age > 0:
            self._cache[name] = (value, datetime.now() + timedelta(seconds=max_age))
        return value
