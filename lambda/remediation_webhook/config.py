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
_FUNCTION_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$")
_SCHEDULE_GROUP = re.compile(r"^[0-9A-Za-z_.-]{1,64}$")
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
    # The closed loop: the verification timer (an EventBridge Scheduler one-time schedule that invokes this function)
    # and the circuit breaker. No timer is set when these three are empty (only tests that do not verify leave them so).
    function_arn: str = ""
    scheduler_role_arn: str = ""
    schedule_group: str = ""
    verify_seconds: int = 1020
    relapse_seconds: int = 86400
    max_relapses: int = 2
    circuit_heal_seconds: int = 86400
    fleet_max_concurrent: int = 2
    fleet_max_share_percent: int = 50

    @property
    def verifies(self) -> bool:
        return bool(self.function_arn and self.scheduler_role_arn and self.schedule_group)

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
            **_closed_loop(environ),
        )


def _closed_loop(environ: Mapping[str, str]) -> dict[str, object]:
    timer = {
        "function_arn": environ.get("REMEDIATION_FUNCTION_ARN", "").strip(),
        "scheduler_role_arn": environ.get("REMEDIATION_SCHEDULER_ROLE_ARN", "").strip(),
        "schedule_group": environ.get("REMEDIATION_SCHEDULE_GROUP", "").strip(),
    }
    if any(timer.values()) and not all(timer.values()):
        missing = [f"REMEDIATION_{name.upper()}" for name, value in timer.items() if not value]
        raise ConfigError(f"the verification timer needs all three of its variables, missing {', '.join(missing)}")
    if timer["function_arn"] and not _FUNCTION_ARN.fullmatch(timer["function_arn"]):
        raise ConfigError(f"REMEDIATION_FUNCTION_ARN must be a Lambda function ARN, got {timer['function_arn']!r}")
    if timer["schedule_group"] and not _SCHEDULE_GROUP.fullmatch(timer["schedule_group"]):
        raise ConfigError(f"REMEDIATION_SCHEDULE_GROUP must be 1-64 of [0-9A-Za-z-_.], got {timer['schedule_group']!r}")
    return {
        **timer,
        "verify_seconds": _integer(environ, "REMEDIATION_VERIFY_SECONDS", 1020, minimum=60, maximum=86400),
        "relapse_seconds": _integer(environ, "REMEDIATION_RELAPSE_SECONDS", 86400, minimum=0),
        "max_relapses": _integer(environ, "REMEDIATION_MAX_RELAPSES", 2, minimum=0, maximum=100),
        "circuit_heal_seconds": _integer(environ, "REMEDIATION_CIRCUIT_HEAL_SECONDS", 86400, minimum=0),
        "fleet_max_concurrent": _integer(environ, "REMEDIATION_FLEET_MAX_CONCURRENT", 2, minimum=1),
        "fleet_max_share_percent": _integer(environ, "REMEDIATION_FLEET_MAX_SHARE_PERCENT", 50, minimum=1, maximum=100),
    }


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
