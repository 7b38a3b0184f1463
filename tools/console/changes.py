"""`remediation pause`, `resume` and `reset`: the changes on-call makes, each recorded with the caller's identity
(STS) and announced on the deployment's topic as one JSON message, `"source": "remediation-console"`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.console.aws import Aws
from tools.console.errors import ConsoleError
from tools.console.function import function_settings
from tools.console.kill_switch import DISABLED, ENABLED, read_switch, write_switch
from tools.console.lambda_source import INSTANCE_ID, DecisionStore, guard_rules, publish
from tools.console.state_items import TARGET_PREFIX, read_target
from tools.console.status import judge
from tools.console.times import in_words, iso

SOURCE = "remediation-console"
PAUSED, RESUMED, RESET = "paused", "resumed", "reset"


@dataclass(frozen=True)
class Change:
    """What a command changed (`changed` False: it was so already, nothing was written or announced)."""

    outcome: str
    changed: bool
    by: str
    at: float
    detail: str
    target: str | None = None
    message_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "changed": self.changed,
            "by": self.by,
            "timestamp_utc": iso(self.at),
            "target": self.target,
            "detail": self.detail,
            "message_id": self.message_id,
        }


def pause(aws: Aws, now: float) -> Change:
    return _switch(aws, DISABLED, PAUSED, now)


def resume(aws: Aws, now: float) -> Change:
    return _switch(aws, ENABLED, RESUMED, now)


def _switch(aws: Aws, value: str, outcome: str, now: float) -> Change:
    current = read_switch(aws)
    # Read before anything changes, so a deployment without its function or topic fails with nothing changed.
    settings = function_settings(aws)
    by = aws.caller_arn()
    if current.value == value:
        return Change(
            outcome, False, by, now, f"the kill switch {current.parameter} is already {value}; nothing changed"
        )
    write_switch(aws, value)
    effect = "no new remediation starts" if value == DISABLED else "alerts start remediations again"
    detail = (
        f"Automatic remediation {outcome} by {by}: the kill switch {current.parameter} is now {value} "
        f"(was {current.value}); {effect} once the function rereads it (within {settings.switch_cache_seconds} s)."
    )
    subject = f"[remediation] automatic remediation {outcome.upper()}"
    message = {"kill_switch": current.parameter, "value": value, "previous_value": current.value}
    message = _message(outcome, by, now, detail, **message)
    message_id = _announce(aws, settings.topic_arn, subject, message, done=f"the kill switch is now {value}")
    return Change(outcome, True, by, now, detail, message_id=message_id)


def reset(aws: Aws, target: str, now: float) -> Change:
    """Close the target's circuit and clear its attempts (and a running escalation); the cooldown stays."""
    if not (INSTANCE_ID.match(target) or target.startswith("tag:")):
        raise ConsoleError(f"reset {target!r}: expected an instance id such as i-0123456789abcdef0, or tag:Key=Value")
    settings = function_settings(aws)
    rules = guard_rules(settings)
    table = aws.deployment.table
    item = read_target(aws, target)
    if item is None:
        raise ConsoleError(
            f"reset {target}: the state table {table} has no item {TARGET_PREFIX}{target}, so there is nothing to "
            "reset (`remediation status` lists the targets it has)"
        )
    before = judge(item, target, rules, now)
    by = aws.caller_arn()
    with aws.about(f"the state table {table}"):
        # The function's own transition closes the circuit (relapses 0, its TTL back), then the attempts go.
        if not DecisionStore(aws.client("dynamodb"), table, rules).reset(target, now):
            raise ConsoleError(f"reset {target}: its item left the state table {table} while resetting it")
        _clear_attempts(aws, target, max(len(item.attempts), rules.max_attempts), by, now)
    cooldown = item.cooldown_until - int(now)
    kept = f"the cooldown stays (ends in {in_words(cooldown)})" if cooldown > 0 else "no cooldown is running"
    detail = (
        f"{target} reset by {by}: circuit closed, attempts cleared (it was {before.state}, "
        f"{before.attempts_in_window} of {rules.max_attempts} attempts in the window); {kept}. "
        "The next alert for it may start a remediation."
    )
    subject = f"[remediation] RESET {target}"
    message = _message(RESET, by, now, detail, target=target, previous_state=before.state)
    message_id = _announce(aws, settings.topic_arn, subject, message, done=f"{target} was reset")
    return Change(RESET, True, by, now, detail, target, message_id)


def _clear_attempts(aws: Aws, target: str, slots: int, by: str, now: float) -> None:
    aws.client("dynamodb").update_item(
        TableName=aws.deployment.table,
        Key={"pk": {"S": f"{TARGET_PREFIX}{target}"}},
        ConditionExpression="attribute_exists(pk)",
        UpdateExpression="SET "
        + ", ".join([*(f"attempt_{index} = :zero" for index in range(slots)), "reset_by = :by", "reset_at = :now"])
        + " REMOVE escalated_until",
        ExpressionAttributeValues={":zero": {"N": "0"}, ":by": {"S": by}, ":now": {"N": str(int(now))}},
    )


def _message(outcome: str, by: str, now: float, detail: str, **fields: Any) -> dict[str, Any]:
    return {"source": SOURCE, "outcome": outcome, "by": by, "timestamp_utc": iso(now), "detail": detail, **fields}


def _announce(aws: Aws, topic_arn: str, subject: str, message: dict[str, Any], done: str) -> str:
    try:
        with aws.about(f"the topic {topic_arn}"):
            return publish(aws.client("sns"), topic_arn, subject, message)
    except ConsoleError as error:
        raise ConsoleError(f"{done}, but announcing it failed: {error}", error.code) from None
