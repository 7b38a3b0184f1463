"""The function's timers: one-time EventBridge Scheduler schedules that invoke this function later, carrying what it
needs then (the schedule's Input, read back on resolution). Two purposes:

- ``verify``: a remediation's verification window ends (NOT FIXED unless its alert resolved first);
- ``retry_start``: StartAutomationExecution failed for a decided start; try again, with backoff, or give up with an
  escalation. The decision is already recorded in the state table, so an alert is never lost to a failing SSM.

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
VERIFY, RETRY_START = "verify", "retry_start"
_PURPOSES = (VERIFY, RETRY_START)


class TimerEventError(ValueError):
    """A timer event that does not have the shape this function writes; names the field."""


@dataclass(frozen=True)
class Timer:
    """What the function knows when it decides a remediation, and needs again when the timer fires."""

    purpose: str  # verify | retry_start
    attempt: int  # retry_start: the how-manieth retry this is (verify: 0)
    target: str
    alert_key: str
    monitor_id: str
    monitor_name: str
    trigger_type: str
    alert_started_at: int
    execution_id: str  # retry_start: "" (none started yet)
    acted_at: int  # verify: when the execution started; retry_start: when the start was decided
    due_at: int

    def as_input(self) -> str:
        return json.dumps({TIMER_KEY: asdict(self)}, sort_keys=True, separators=(",", ":"))


def schedule_name(client_token: str, purpose: str = VERIFY, attempt: int = 0) -> str:
    """verify-<token> or retry-<token>-<n>: at most 6 + 36 + 3 characters, inside Scheduler's 64."""
    return f"verify-{client_token}" if purpose == VERIFY else f"retry-{client_token}-{attempt}"


def is_timer_event(event: Any) -> bool:
    return isinstance(event, dict) and TIMER_KEY in event


def parse_timer_event(event: dict[str, Any]) -> Timer:
    fields = event.get(TIMER_KEY)
    if not isinstance(fields, dict) or set(event) != {TIMER_KEY}:
        raise TimerEventError(f"{TIMER_KEY} must be the event's only key, holding an object")
    values: dict[str, Any] = {}
    for name, kind in Timer.__annotations__.items():
        value = fields.get(name)
        expected = int if kind == "int" else str
        if not isinstance(value, expected) or isinstance(value, bool):
            raise TimerEventError(f"{TIMER_KEY}.{name} must be {'an integer' if expected is int else 'a string'}")
        values[name] = value
    timer = Timer(**values)
    if timer.purpose not in _PURPOSES:
        raise TimerEventError(f"{TIMER_KEY}.purpose must be one of {', '.join(_PURPOSES)}, got {timer.purpose!r}")
    if not (INSTANCE_ID.fullmatch(timer.target) or timer.target.startswith("tag:")):
        raise TimerEventError(f"{TIMER_KEY}.target must be an instance id or a tag target, got {timer.target!r}")
    return timer


def create_timer(scheduler: Any, settings: Settings, client_token: str, timer: Timer) -> None:
    """Create the one-time schedule; an existing one (a re-sent start) is left as it is."""
    due = datetime.fromtimestamp(timer.due_at, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    try:
        scheduler.create_schedule(
            Name=schedule_name(client_token, timer.purpose, timer.attempt),
            GroupName=settings.schedule_group,
            ScheduleExpression=f"at({due})",
            ScheduleExpressionTimezone="UTC",
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Description=_description(timer),
            Target={"Arn": settings.function_arn, "RoleArn": settings.scheduler_role_arn, "Input": timer.as_input()},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConflictException":
            raise


def _description(timer: Timer) -> str:
    if timer.purpose == VERIFY:
        return f"Verify remediation {timer.execution_id} of {timer.target}"
    return f"Retry {timer.attempt} of the failed start for {timer.target}, alert {timer.alert_key}"[:512]


def due_at(now: float, settings: Settings) -> int:
    return math.ceil(now) + settings.verify_seconds


RETRY_LIMIT = 8  # 1, 2, 4, 8, 16, then 30 minutes: about two hours in all before giving up


def retry_due_at(now: float, attempt: int) -> int:
    return math.ceil(now) + min(60 * 2 ** (attempt - 1), 1800)


def read_timer(scheduler: Any, settings: Settings, client_token: str) -> Timer | None:
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
