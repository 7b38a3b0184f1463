"""The verification timer: a one-time EventBridge Scheduler schedule that invokes this function when a remediation's
verification window ends, carrying what the function needs then (the schedule's Input, read back on resolution).

Why Scheduler: it needs nothing from Sumo Logic (which sends nothing more for an alert that stays open), survives the
container, costs one call on the warm path, and deletes itself after it fires (ActionAfterCompletion=DELETE). The
schedule's name is derived from the start's ClientToken, so a re-sent start finds the same timer (ConflictException)
and the resolution finds it again without storing its name.

A timer invocation is not a Function URL request: its event is the schedule's Input, a JSON object whose only key is
``remediation_timer``. Nothing from the public URL can take that shape, since a URL event's top level is the request
(version, headers, body, ...), so it needs no bearer secret; it is still validated field by field.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from .config import INSTANCE_ID, Settings

TIMER_KEY = "remediation_timer"
_NAME_PREFIX = "verify-"


class TimerEventError(ValueError):
    """A timer event that does not have the shape this function writes; names the field."""


@dataclass(frozen=True)
class VerificationTimer:
    """What the function knows when it starts a remediation, and needs again when the window ends."""

    target: str
    alert_key: str
    monitor_id: str
    monitor_name: str
    trigger_type: str
    alert_started_at: int
    execution_id: str
    acted_at: int
    due_at: int

    def as_input(self) -> str:
        return json.dumps({TIMER_KEY: asdict(self)}, sort_keys=True, separators=(",", ":"))


def schedule_name(client_token: str) -> str:
    return f"{_NAME_PREFIX}{client_token}"  # 7 + 36 characters: inside Scheduler's 64


def is_timer_event(event: Any) -> bool:
    return isinstance(event, dict) and TIMER_KEY in event


def parse_timer_event(event: dict[str, Any]) -> VerificationTimer:
    fields = event.get(TIMER_KEY)
    if not isinstance(fields, dict) or set(event) != {TIMER_KEY}:
        raise TimerEventError(f"{TIMER_KEY} must be the event's only key, holding an object")
    values: dict[str, Any] = {}
    for name, kind in VerificationTimer.__annotations__.items():
        value = fields.get(name)
        expected = int if kind == "int" else str
        if not isinstance(value, expected) or isinstance(value, bool):
            raise TimerEventError(f"{TIMER_KEY}.{name} must be {'an integer' if expected is int else 'a string'}")
        values[name] = value
    timer = VerificationTimer(**values)
    if not (INSTANCE_ID.fullmatch(timer.target) or timer.target.startswith("tag:")):
        raise TimerEventError(f"{TIMER_KEY}.target must be an instance id or a tag target, got {timer.target!r}")
    return timer


def create_timer(scheduler: Any, settings: Settings, client_token: str, timer: VerificationTimer) -> None:
    """Create the one-time schedule; an existing one (a re-sent start) is left as it is."""
    due = datetime.fromtimestamp(timer.due_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    try:
        scheduler.create_schedule(
            Name=schedule_name(client_token),
            GroupName=settings.schedule_group,
            ScheduleExpression=f"at({due})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Description=f"Verify remediation {timer.execution_id} of {timer.target}"[:512],
            Target={"Arn": settings.function_arn, "RoleArn": settings.scheduler_role_arn, "Input": timer.as_input()},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConflictException":
            raise


def due_at(now: float, settings: Settings) -> int:
    return math.ceil(now) + settings.verify_seconds


def read_timer(scheduler: Any, settings: Settings, client_token: str) -> VerificationTimer | None:
    """The pending timer of this start, or None once it fired (and deleted itself) or was never set."""
    try:
        schedule = scheduler.get_schedule(Name=schedule_name(client_token), GroupName=settings.schedule_group)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    try:
        return parse_timer_event(json.loads(schedule.get("Target", {}).get("Input", "")))
    except (ValueError, TimerEventError):
        return None  # not one of ours: leave it alone


def delete_timer(scheduler: Any, settings: Settings, client_token: str) -> None:
    try:
        scheduler.delete_schedule(Name=schedule_name(client_token), GroupName=settings.schedule_group)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
