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
progress, completed), which the three-calls-per-alert budget (claim, start, timer) has no room for.

The closed loop (guard_model.py has its rules) adds, on the same item: ``verified_key``/``verified_at``/``relapses``
(written by ``verify`` when the alert resolves), ``not_fixed_key`` (``expire``, when the verification window ends
first), ``circuit_open_since`` and ``healthy_since``. Each is again one conditional write; ``verify`` reads the item
first (a consistent read) because whether a fix was a relapse is arithmetic DynamoDB's update expressions cannot do,
and the write's condition makes sure the item is still the one that was read. An open circuit removes ``expires_at``:
only a person or a healed target closes it, never the TTL.

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

    def __init__(self, dynamodb_client: Any, table: str, rules: GuardRules):
        self._dynamodb = dynamodb_client
        self._table = table
        self.rules = rules
        self._slots = [f"attempt_{index}" for index in range(rules.max_attempts)]

    def _expires_at(self, now: int) -> int:
        rules = self.rules
        return now + max(rules.cooldown_seconds, rules.window_seconds, rules.relapse_seconds) + _TTL_MARGIN_SECONDS

    def claim(self, target_label: str, alert_key: str, request: dict[str, Any], now: float) -> Decision:
        """Decide whether `alert_key` may start `request` on the target now (guard_model.py has the rules)."""
        now_s = int(now)
        cooldown_until = self.rules.cooldown_until(now_s)
        expires_at = self._expires_at(now_s)
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
            ":zero": {"N": "0"},
            ":heal_cutoff": {"N": str(now_s - self.rules.heal_seconds)},
            ":max_relapses": {"N": str(self.rules.max_relapses)},
            ":relapse_cutoff": {"N": str(now_s - self.rules.relapse_seconds)},
        }
        try:
            self._dynamodb.update_item(
                TableName=self._table,
                Key=_key(target_label),
                ConditionExpression=(
                    "attribute_not_exists(pk) OR (alert_key <> :alert_key AND cooldown_until <= :now"
                    " AND (attribute_not_exists(#s0) OR #s0 <= :cutoff)"
                    " AND (attribute_not_exists(circuit_open_since)"
                    " OR (healthy_since >= circuit_open_since AND healthy_since <= :heal_cutoff))"
                    " AND (attribute_not_exists(relapses) OR relapses < :max_relapses"
                    " OR verified_at < :relapse_cutoff))"
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
                        "previous_verified_at = if_not_exists(verified_at, :zero)",
                    ]
                )
                + " REMOVE circuit_open_since, healthy_since",
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
        blocks = self.rules.circuit_blocks(_optional(old, "circuit_open_since"), _optional(old, "healthy_since"), now)
        relapsing = self.rules.relapsing(_number(old, "relapses"), _optional(old, "verified_at"), now)
        same_alert = old.get("alert_key", {}).get("S") == alert_key
        verdict = losing_verdict(same_alert, cooldown_until, now, blocks, relapsing)
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

    def verify(self, target_label: str, monitor_id: str, now: float) -> Verification | None:
        """The monitor's alert resolved for this target: verify its last start if it is still open (the model's
        ``verify``). None when the target has no item."""
        now_s = int(now)
        for _ in range(_VERIFY_TRIES):
            read = self._dynamodb.get_item(TableName=self._table, Key=_key(target_label), ConsistentRead=True)
            item = read.get("Item")
            if not item:
                return None
            alert_key = item.get("alert_key", {}).get("S", "")
            decided_at = _number(item, self._slots[-1])
            open_start = alert_key not in (_text(item, "verified_key"), _text(item, "not_fixed_key"))
            verifies = alert_key.startswith(f"{monitor_id}:") and open_start
            relapses = 0
            if verifies and self.rules.is_relapse(decided_at, _number(item, "previous_verified_at")):
                relapses = _number(item, "relapses") + 1
            try:
                self._dynamodb.update_item(
                    TableName=self._table,
                    Key=_key(target_label),
                    ConditionExpression=_UNCHANGED,
                    UpdateExpression=(
                        "SET healthy_since = :now, verified_at = :now, verified_key = :alert_key,"
                        " relapses = :relapses, expires_at = :expires_at"
                        if verifies
                        else "SET healthy_since = :now"
                    ),
                    ExpressionAttributeValues={
                        ":now": {"N": str(now_s)},
                        ":alert_key": {"S": alert_key},
                        **_present_or_absent(item, "verified_key", ":verified_key"),
                        **_present_or_absent(item, "not_fixed_key", ":not_fixed_key"),
                        **(
                            {":relapses": {"N": str(relapses)}, ":expires_at": {"N": str(self._expires_at(now_s))}}
                            if verifies
                            else {}
                        ),
                    },
                )
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                    raise
                continue  # a claim or a timer changed the item between the read and the write: read it again
            return Verification(verifies, alert_key, decided_at, relapses)
        raise RuntimeError(f"the state of {target_label} kept changing during verification")

    def decided_request(self, target_label: str, alert_key: str) -> dict[str, Any] | None:
        """The recorded start request, if `alert_key` is still the alert that decided the target's last start."""
        read = self._dynamodb.get_item(TableName=self._table, Key=_key(target_label), ConsistentRead=True)
        item = read.get("Item") or {}
        raw_request = item.get("start_request", {}).get("S")
        if _text(item, "alert_key") != alert_key or not raw_request:
            return None
        return dict(json.loads(raw_request))

    def expire(self, target_label: str, alert_key: str, now: float) -> bool:
        """The verification window of `alert_key`'s start ended: True, once, when that start was not fixed; the
        circuit is then open."""
        return self._transition(
            target_label,
            "alert_key = :alert_key AND (attribute_not_exists(verified_key) OR verified_key <> :alert_key)"
            " AND (attribute_not_exists(not_fixed_key) OR not_fixed_key <> :alert_key)",
            "SET not_fixed_key = :alert_key, circuit_open_since = :now REMOVE healthy_since, expires_at",
            {":alert_key": {"S": alert_key}, ":now": {"N": str(int(now))}},
        )

    def release_expiry(self, target_label: str, alert_key: str) -> None:
        """Undo our NOT FIXED judgement's once-only mark (the circuit stays open) after its publish failed."""
        self._transition(
            target_label,
            "not_fixed_key = :alert_key",
            "REMOVE not_fixed_key",
            {":alert_key": {"S": alert_key}},
        )

    def open_circuit(self, target_label: str, now: float) -> bool:
        """Open the circuit of a relapsing target: True for the one caller that opened it (who escalates)."""
        return self._transition(
            target_label,
            "attribute_exists(pk) AND attribute_not_exists(circuit_open_since)",
            "SET circuit_open_since = :now, relapses = :zero REMOVE healthy_since, expires_at",
            {":now": {"N": str(int(now))}, ":zero": {"N": "0"}},
        )

    def mark_unhealthy(self, target_label: str) -> None:
        """An alert arrived while the circuit was open: the healthy time starts again at its resolution."""
        self._transition(target_label, "attribute_exists(healthy_since)", "REMOVE healthy_since", None)

    def reset(self, target_label: str, now: float) -> bool:
        """A person closes the circuit; the attempt cap and cooldown stay as they are."""
        return self._transition(
            target_label,
            "attribute_exists(pk)",
            "SET relapses = :zero, expires_at = :expires_at REMOVE circuit_open_since",
            {":zero": {"N": "0"}, ":expires_at": {"N": str(self._expires_at(int(now)))}},
        )

    def claim_fleet_escalation(self, alert_key: str, now: float) -> bool:
        """True for the one delivery of a braked alert that escalates it (an UpdateItem, as every write here is: the
        function's role needs no DeleteItem)."""
        return self._transition_item(
            _fleet_key(alert_key),
            "attribute_not_exists(escalated_at)",
            "SET escalated_at = :now, expires_at = :expires_at",
            {":now": {"N": str(int(now))}, ":expires_at": {"N": str(self._expires_at(int(now)))}},
        )

    def release_fleet_escalation(self, alert_key: str) -> None:
        """Undo the fleet escalation claim after its publish failed, so Sumo's next delivery escalates instead."""
        self._transition_item(_fleet_key(alert_key), "attribute_exists(escalated_at)", "REMOVE escalated_at", None)

    def _transition(self, target_label: str, condition: str, update: str, values: dict[str, Any] | None) -> bool:
        """One conditional UpdateItem on a target's item: True if it applied, False if its condition did not hold."""
        return self._transition_item(_key(target_label), condition, update, values)

    def _transition_item(self, key: dict[str, Any], condition: str, update: str, values: dict[str, Any] | None) -> bool:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": key,
            "ConditionExpression": condition,
            "UpdateExpression": update,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            self._dynamodb.update_item(**request)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True


@dataclass(frozen=True)
class Verification:
    """What a resolution did to a target's last start."""

    verified: bool  # False: it was verified or judged not fixed before, or another monitor decided it
    alert_key: str  # the alert that decided the last start
    decided_at: int
    relapses: int


_VERIFY_TRIES = 5
# verify's write applies only to the item it read: same decision, same verification marks.
_UNCHANGED = (
    "alert_key = :alert_key"
    " AND (attribute_not_exists(verified_key) OR verified_key = :verified_key)"
    " AND (attribute_not_exists(not_fixed_key) OR not_fixed_key = :not_fixed_key)"
)


def _present_or_absent(item: dict[str, Any], name: str, placeholder: str) -> dict[str, Any]:
    # A placeholder for an absent attribute matches nothing, so "absent" stays the only way through for it.
    return {placeholder: item.get(name) or {"S": "(absent)"}}


def _text(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return str(value) if value is not None else None


def _optional(item: dict[str, Any], name: str) -> int | None:
    return _number(item, name) if name in item else None


def _fleet_key(alert_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"fleet#{alert_key}"}}


def _key(target_label: str) -> dict[str, Any]:
    return {"pk": {"S": f"target#{target_label}"}}


def _number(item: dict[str, Any], name: str) -> int:
    try:
        return int(item.get(name, {}).get("N", "0"))
    except ValueError:
        return 0
