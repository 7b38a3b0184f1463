"""The function's configuration, read from the environment in one place and validated once per container."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# "i-" and 8 (older) or 17 hex digits. A copy of the collection's input_rules.EC2_INSTANCE_ID_PATTERN (the zip cannot
# import the collection); tests/test_input_rules.py holds the two equal.
INSTANCE_ID_PATTERN = r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$"
INSTANCE_ID = re.compile(INSTANCE_ID_PATTERN)
_TAG_SELECTOR = re.compile(r"^([^=\s][^=]{0,127})=(.{1,256})$")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}


class ConfigError(ValueError):
    """A missing or malformed environment variable; the message names it, its value and what was expected."""


@dataclass(frozen=True)
class TagSelector:
    key: str
    value: str

    @property
    def label(self) -> str:
        return f"tag:{self.key}={self.value}"


@dataclass(frozen=True)
class Settings:
    secret_parameter: str
    switch_parameter: str
    state_table: str
    document_name: str
    topic_arn: str
    automation_role_arn: str
    target_instance_ids: tuple[str, ...]
    target_tag: TagSelector | None
    cooldown_seconds: int = 900
    max_attempts: int = 3
    attempt_window_seconds: int = 21600
    dry_run: bool = False
    secret_cache_seconds: int = 300
    switch_cache_seconds: int = 30
    max_body_bytes: int = 65536

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from `environ`, raising ConfigError that names the first wrong variable."""
        instance_ids = _instance_ids(environ.get("REMEDIATION_TARGET_INSTANCE_IDS", ""))
        tag = _tag(environ.get("REMEDIATION_TARGET_TAG", ""))
        if bool(instance_ids) == bool(tag):
            raise ConfigError(
                "set exactly one of REMEDIATION_TARGET_INSTANCE_IDS and REMEDIATION_TARGET_TAG, got "
                f"{'both' if instance_ids else 'neither'}"
            )
        return cls(
            secret_parameter=_required(environ, "REMEDIATION_SECRET_PARAMETER"),
            switch_parameter=_required(environ, "REMEDIATION_SWITCH_PARAMETER"),
            state_table=_required(environ, "REMEDIATION_STATE_TABLE"),
            document_name=_required(environ, "REMEDIATION_DOCUMENT_NAME"),
            topic_arn=_required(environ, "REMEDIATION_TOPIC_ARN"),
            automation_role_arn=_required(environ, "REMEDIATION_AUTOMATION_ROLE_ARN"),
            target_instance_ids=instance_ids,
            target_tag=tag,
            cooldown_seconds=_integer(environ, "REMEDIATION_COOLDOWN_SECONDS", 900, minimum=0),
            max_attempts=_integer(environ, "REMEDIATION_MAX_ATTEMPTS", 3, minimum=1, maximum=20),
            attempt_window_seconds=_integer(environ, "REMEDIATION_ATTEMPT_WINDOW_SECONDS", 21600, minimum=1),
            dry_run=_boolean(environ, "REMEDIATION_DRY_RUN"),
            secret_cache_seconds=_integer(environ, "REMEDIATION_SECRET_CACHE_SECONDS", 300, minimum=0),
            switch_cache_seconds=_integer(environ, "REMEDIATION_SWITCH_CACHE_SECONDS", 30, minimum=0),
            max_body_bytes=_integer(environ, "REMEDIATION_MAX_BODY_BYTES", 65536, minimum=1024),
        )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} must be set, got {environ.get(name)!r}")
    return value


def _integer(environ: Mapping[str, str], name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise ConfigError(f"{name} must be {bound}, got {value}")
    return value


def _boolean(environ: Mapping[str, str], name: str) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {environ.get(name)!r}")


def _instance_ids(raw: str) -> tuple[str, ...]:
    ids = [part.strip() for part in raw.split(",") if part.strip()]
    for instance_id in ids:
        if not INSTANCE_ID.fullmatch(instance_id):
            expected = "expected ids like i-0123456789abcdef0"
            raise ConfigError(f"REMEDIATION_TARGET_INSTANCE_IDS holds {instance_id!r}, {expected}")
    return tuple(dict.fromkeys(ids))


def _tag(raw: str) -> TagSelector | None:
    raw = raw.strip()
    if not raw:
        return None
    match = _TAG_SELECTOR.match(raw)
    if not match:
        raise ConfigError(f"REMEDIATION_TARGET_TAG must be Key=Value, got {raw!r}")
    return TagSelector(match.group(1).strip(), match.group(2).strip())
