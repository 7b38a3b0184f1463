"""The state table's items as the console reads them (lambda/remediation_webhook/state.py writes them): one item per
target, ``pk = "target#<instance id or tag:K=V>"``, and one per braked fleet alert, ``pk = "fleet#<alert key>"``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tools.console.aws import Aws

TARGET_PREFIX = "target#"
FLEET_PREFIX = "fleet#"
_ATTEMPT = re.compile(r"^attempt_(\d+)$")


def plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item as plain values: numbers as int, strings as str (the table holds only these)."""
    values: dict[str, Any] = {}
    for name, typed in item.items():
        kind, value = next(iter(typed.items()))
        values[name] = int(float(value)) if kind == "N" else value
    return values


@dataclass(frozen=True)
class TargetItem:
    """One target's decision item; times are epoch seconds, None when absent."""

    label: str
    alert_key: str | None = None
    client_token: str | None = None
    start_request: dict[str, Any] | None = None
    decided_at: int | None = None
    cooldown_until: int = 0
    attempts: tuple[int, ...] = ()  # attempt_0, attempt_1, ...: oldest first, 0 = empty slot
    escalated_until: int | None = None
    circuit_open_since: int | None = None
    healthy_since: int | None = None
    verified_at: int | None = None
    verified_key: str | None = None
    not_fixed_key: str | None = None
    relapses: int = 0
    reset_by: str | None = None
    reset_at: int | None = None

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> TargetItem:
        values = plain(item)
        slots = sorted(
            (int(match.group(1)), int(value)) for name, value in values.items() if (match := _ATTEMPT.match(name))
        )
        raw_request = values.get("start_request")
        return cls(
            label=str(values["pk"]).removeprefix(TARGET_PREFIX),
            alert_key=values.get("alert_key"),
            client_token=values.get("client_token"),
            start_request=json.loads(raw_request) if raw_request else None,
            decided_at=values.get("decided_at"),
            cooldown_until=int(values.get("cooldown_until", 0)),
            attempts=tuple(value for _, value in slots),
            escalated_until=values.get("escalated_until"),
            circuit_open_since=values.get("circuit_open_since"),
            healthy_since=values.get("healthy_since"),
            verified_at=values.get("verified_at"),
            verified_key=values.get("verified_key"),
            not_fixed_key=values.get("not_fixed_key"),
            relapses=int(values.get("relapses", 0)),
            reset_by=values.get("reset_by"),
            reset_at=values.get("reset_at"),
        )

    def slots(self, max_attempts: int) -> tuple[int, ...]:
        """The attempt slots the function reads with `max_attempts` (missing slots are empty, as it reads them)."""
        return tuple(self.attempts[index] if index < len(self.attempts) else 0 for index in range(max_attempts))

    def start_parameter(self, name: str) -> str | None:
        """A parameter of the decided StartAutomationExecution request (InstanceId, AlertId), if it has one."""
        values = ((self.start_request or {}).get("Parameters") or {}).get(name) or []
        return str(values[0]) if values else None


@dataclass(frozen=True)
class FleetItem:
    """An alert the fleet brake held back, escalated once."""

    alert_key: str
    escalated_at: int


@dataclass(frozen=True)
class StateItems:
    targets: list[TargetItem]
    fleet: list[FleetItem]


def read_state(aws: Aws) -> StateItems:
    """Every item of the state table (a consistent scan; the table holds a few items per target)."""
    table = aws.deployment.table
    targets: list[TargetItem] = []
    fleet: list[FleetItem] = []
    with aws.about(f"the state table {table}"):
        for page in aws.client("dynamodb").get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            for item in page.get("Items", []):
                key = item.get("pk", {}).get("S", "")
                if key.startswith(TARGET_PREFIX):
                    targets.append(TargetItem.from_item(item))
                elif key.startswith(FLEET_PREFIX):
                    values = plain(item)
                    fleet.append(FleetItem(key.removeprefix(FLEET_PREFIX), int(values.get("escalated_at", 0))))
    return StateItems(sorted(targets, key=lambda target: target.label), sorted(fleet, key=lambda f: f.escalated_at))


def read_target(aws: Aws, label: str) -> TargetItem | None:
    """One target's item (a consistent read), or None when the table has none for it."""
    table = aws.deployment.table
    with aws.about(f"the state table {table}"):
        answer = aws.client("dynamodb").get_item(
            TableName=table, Key={"pk": {"S": f"{TARGET_PREFIX}{label}"}}, ConsistentRead=True
        )
    item = answer.get("Item")
    return TargetItem.from_item(item) if item else None
