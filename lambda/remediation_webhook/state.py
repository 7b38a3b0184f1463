"""The remediation decision, shared by every concurrent invocation through one DynamoDB item per target.

State machine (one item per target, ``pk = "target#<label>"``; every transition is ONE conditional UpdateItem, so
DynamoDB's per-item atomicity makes concurrent invocations take turns and exactly one of them wins each transition):

    (no item) or IDLE ──claim──▶ DECIDED(alert_key, client_token, start_request, cooldown_until, attempt slots)

The rules of a claim, of a losing claim's verdict and of the escalation are written once, in guard_model.py, whose
``GuardModel`` is the in-memory reference this store is tested against. Here each rule is a condition DynamoDB checks
on the item as it is at the moment of the write. The attempt slots ``attempt_0 … attempt_{N-1}`` are the model's
shift register. A losing claim gets the item as it was (ReturnValuesOnConditionCheckFailure=ALL_OLD) and learns why
it lost with no second read.

The claim records the exact StartAutomationExecution request, ClientToken included. Starting is therefore a separate,
idempotent effect of the decision: the winner sends it; a loser inside the cooldown re-sends the same request, so
no second execution can start (SSM refuses a reused ClientToken, or answers it with the execution it started: only a
different request is documented, as IdempotentParameterMismatch), and if the winner died between its claim and its
start, the next delivery completes the decided start instead of losing it. The loser learns the execution id only
when SSM answers with it (runbook.start_execution). Outside the cooldown
nothing is re-sent. A claim is never rolled back: a failed start still counts as an attempt, which errs on the side of
fewer reboots.

EXHAUSTED ──claim_escalation──▶ ESCALATED(escalated_until = attempt_0 + window): a second conditional write lets exactly
one invocation per exhausted window publish the escalation; if publishing fails, release_escalation gives it back.

Powertools' idempotency utility is not used: it runs one call once per key, whereas cooldown and the cap decide
across different alerts for one target and count starts in a sliding window, and it writes twice per call (in
progress, completed), which the two-calls-per-alert budget has no room for.

``expires_at`` (TTL) only collects garbage: every condition compares times, so an expired item that DynamoDB has not
yet deleted still behaves correctly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .guard_model import GuardRules, Verdict, losing_verdict

__all__ = ["Decision", "DecisionStore", "Verdict"]

_TTL_MARGIN_SECONDS = 3600


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    # The request decided for this target: ours when START, the earlier winner's otherwise (None if unknown).
    start_request: dict[str, Any] | None
    cooldown_until: float
    retry_at: float = 0.0  # EXHAUSTED: when the oldest attempt leaves the window

    @property
    def replayable(self) -> bool:
        return self.verdict in (Verdict.DUPLICATE, Verdict.COOLDOWN) and self.start_request is not None


class DecisionStore:
    """Conditional writes on the state table; each method is one DynamoDB call."""

    def __init__(self, dynamodb_client: Any, table: str, cooldown_seconds: int, max_attempts: int, window_seconds: int):
        self._dynamodb = dynamodb_client
        self._table = table
        self.rules = GuardRules(cooldown_seconds, max_attempts, window_seconds)
        self._slots = [f"attempt_{index}" for index in range(max_attempts)]

    def claim(self, target_label: str, alert_key: str, request: dict[str, Any], now: float) -> Decision:
        """Decide whether `alert_key` may start `request` on the target now (guard_model.py has the rules)."""
        now_s = int(now)
        cooldown_until = self.rules.cooldown_until(now_s)
        expires_at = now_s + max(self.rules.cooldown_seconds, self.rules.window_seconds) + _TTL_MARGIN_SECONDS
        names = {f"#s{index}": slot for index, slot in enumerate(self._slots)}
        shifts = [f"#s{index} = if_not_exists(#s{index + 1}, :zero)" for index in range(len(self._slots) - 1)]
        values = {
            ":alert_key": {"S": alert_key},
            ":token": {"S": request["ClientToken"]},
            ":request": {"S": json.dumps(request, sort_keys=True, separators=(",", ":"))},
            ":now": {"N": str(now_s)},
            ":cutoff": {"N": str(self.rules.window_cutoff(now_s))},
            ":cooldown_until": {"N": str(cooldown_until)},
            ":expires_at": {"N": str(expires_at)},
        }
        if shifts:  # DynamoDB rejects an unused placeholder, and with one slot nothing shifts
            values[":zero"] = {"N": "0"}
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(target_label),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR (alert_key <> :alert_key AND cooldown_until <= :now"
                    " AND (attribute_not_exists(#s0) OR #s0 <= :cutoff))"
                ),
                UpdateExpression="SET "
                + ", ".join(
                    [
                        *shifts,
                        f"#s{len(self._slots) - 1} = :now",
                        "alert_key = :alert_key",
                        "client_token = :token",
                        "start_request = :request",
                        "decided_at = :now",
                        "cooldown_until = :cooldown_until",
                        "expires_at = :expires_at",
                    ]
                ),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return self._why_lost(error.response.get("Item") or {}, alert_key, now_s)
        return Decision(Verdict.START, request, cooldown_until)

    def _why_lost(self, old: dict[str, Any], alert_key: str, now: int) -> Decision:
        cooldown_until = _number(old, "cooldown_until")
        raw_request = old.get("start_request", {}).get("S")
        request = json.loads(raw_request) if raw_request else None
        verdict = losing_verdict(old.get("alert_key", {}).get("S") == alert_key, cooldown_until, now)
        # Re-sending is safe only while the decided execution is recent; outside the cooldown it is never re-sent.
        replay = request if cooldown_until > now else None
        retry_at = self.rules.retry_at(_number(old, self._slots[0]))
        return Decision(verdict, replay, cooldown_until, retry_at)

    def claim_escalation(self, target_label: str, retry_at: float, now: float) -> bool:
        """True for exactly one caller per exhausted window: that caller publishes the escalation."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(target_label),
                ConditionExpression=(
                    "attribute_exists(pk) AND #s0 > :cutoff"
                    " AND (attribute_not_exists(escalated_until) OR escalated_until <= :now)"
                ),
                UpdateExpression="SET escalated_until = :retry_at",
                ExpressionAttributeNames={"#s0": self._slots[0]},
                ExpressionAttributeValues={
                    ":cutoff": {"N": str(self.rules.window_cutoff(int(now)))},
                    ":now": {"N": str(int(now))},
                    ":retry_at": {"N": str(int(retry_at))},
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release_escalation(self, target_label: str, retry_at: float) -> None:
        """Undo our escalation claim (only ours) after the publish failed, so a later delivery escalates instead."""
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(target_label),
                ConditionExpression="escalated_until = :retry_at",
                UpdateExpression="REMOVE escalated_until",
                ExpressionAttributeValues={":retry_at": {"N": str(int(retry_at))}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


def _key(target_label: str) -> dict[str, Any]:
    return {"pk": {"S": f"target#{target_label}"}}


def _number(item: dict[str, Any], name: str) -> int:
    try:
        return int(item.get(name, {}).get("N", "0"))
    except ValueError:
        return 0
