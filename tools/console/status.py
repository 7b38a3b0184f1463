"""`remediation status`: is the automation on, and where does each target stand (state, cooldown, attempts in the
window, circuit, last execution and its outcome), judged by the function's own rules at the deployment's now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tools.console.aws import Aws
from tools.console.deployment import Deployment
from tools.console.executions import Execution, last_execution
from tools.console.function import function_settings
from tools.console.kill_switch import KillSwitch, read_switch
from tools.console.lambda_source import GuardRules, Settings, guard_rules
from tools.console.state_items import FleetItem, TargetItem, read_state
from tools.console.times import iso

IDLE, COOLING_DOWN, EXHAUSTED, CIRCUIT_OPEN = "idle", "cooling down", "exhausted", "circuit open"


@dataclass(frozen=True)
class TargetStatus:
    """One target as the function would judge its next alert now."""

    target: str
    state: str
    attempts_in_window: int
    item: TargetItem | None = None
    circuit_healed: bool = False  # open, but healthy long enough: the next alert closes it
    verification: str = "none"  # of the last start: verified, not fixed, pending, none
    last_execution: Execution | None = None

    def as_json(self, rules: GuardRules) -> dict[str, Any]:
        item = self.item or TargetItem(self.target)
        execution = self.last_execution
        return {
            "target": self.target,
            "state": self.state,
            "alert_id": item.alert_key,
            "decided_utc": iso(item.decided_at),
            "cooldown_until_utc": iso(item.cooldown_until or None),
            "attempts_in_window": self.attempts_in_window,
            "max_attempts": rules.max_attempts,
            "escalated_until_utc": iso(item.escalated_until),
            "circuit": {
                "open": item.circuit_open_since is not None,
                "open_since_utc": iso(item.circuit_open_since),
                "healed": self.circuit_healed,
                "relapses": item.relapses,
            },
            "verification": self.verification,
            "verified_utc": iso(item.verified_at),
            "last_execution": execution_json(execution) if execution else None,
            "reset_by": item.reset_by,
            "reset_utc": iso(item.reset_at),
        }


def execution_json(execution: Execution) -> dict[str, Any]:
    return {
        "execution_id": execution.execution_id,
        "status": execution.status,
        "outcome": execution.outcome,
        "action_taken": execution.action_taken,
        "dry_run": execution.dry_run,
        "started_utc": iso(execution.started_at),
        "ended_utc": iso(execution.ended_at),
        "notification_message_id": execution.notification_message_id,
        "failed_steps": execution.failed_steps,
        "failure_message": execution.failure_message,
        "steps": [f"{step.name}: {step.status}" for step in execution.steps],
    }


def judge(item: TargetItem | None, label: str, rules: GuardRules, now: float) -> TargetStatus:
    """The target's state by the function's rules (guard_model.py), in the order its verdicts take: an open circuit,
    then the cooldown, then the attempt cap."""
    if item is None:
        return TargetStatus(label, IDLE, 0)
    now_s = int(now)
    slots = item.slots(rules.max_attempts)
    cutoff = rules.window_cutoff(now_s)
    in_window = sum(1 for started_at in slots if started_at > cutoff)
    circuit_open = item.circuit_open_since is not None
    if circuit_open:
        state = CIRCUIT_OPEN
    elif item.cooldown_until > now_s:
        state = COOLING_DOWN
    elif slots[0] > cutoff:
        state = EXHAUSTED
    else:
        state = IDLE
    healed = circuit_open and not rules.circuit_blocks(item.circuit_open_since, item.healthy_since, now_s)
    return TargetStatus(label, state, in_window, item, healed, verification_of(item))


def verification_of(item: TargetItem) -> str:
    """What became of the last start: verified (its alert resolved), not fixed (its window ended first), pending."""
    if not item.alert_key:
        return "none"
    if item.verified_key == item.alert_key:
        return "verified"
    if item.not_fixed_key == item.alert_key:
        return "not fixed"
    return "pending"


@dataclass(frozen=True)
class StatusReport:
    deployment: Deployment
    now: float
    switch: KillSwitch
    settings: Settings
    targets: list[TargetStatus] = field(default_factory=list)
    fleet: list[FleetItem] = field(default_factory=list)

    @property
    def rules(self) -> GuardRules:
        return guard_rules(self.settings)

    def as_json(self) -> dict[str, Any]:
        settings = self.settings
        return {
            "now_utc": iso(self.now),
            "deployment": {
                "region": self.deployment.region,
                "endpoint_url": self.deployment.endpoint_url or None,
                "function": self.deployment.function,
                "table": self.deployment.table,
            },
            "kill_switch": {
                "parameter": self.switch.parameter,
                "value": self.switch.value,
                "remediation": "on" if self.switch.enabled else "off",
            },
            "settings": {
                "cooldown_seconds": settings.cooldown_seconds,
                "max_attempts": settings.max_attempts,
                "attempt_window_seconds": settings.attempt_window_seconds,
                "verify_seconds": settings.verify_seconds,
                "circuit_heal_seconds": settings.circuit_heal_seconds,
                "dry_run": settings.dry_run,
            },
            "targets": [target.as_json(self.rules) for target in self.targets],
            "fleet_escalations": [
                {"alert_id": fleet.alert_key, "escalated_utc": iso(fleet.escalated_at)} for fleet in self.fleet
            ],
        }


def configured_targets(settings: Settings) -> list[str]:
    if settings.target_tag is not None:
        return [settings.target_tag.label]
    return list(settings.target_instance_ids)


def read_status(aws: Aws, now: float, progress: Callable[[str], None] = lambda _: None) -> StatusReport:
    """Read the switch, the function's settings, the state table and each target's last execution."""
    progress("reading the kill switch")
    switch = read_switch(aws)
    progress("reading the function's settings")
    settings = function_settings(aws)
    rules = guard_rules(settings)
    progress("reading the state table")
    state = read_state(aws)
    items = {item.label: item for item in state.targets}
    targets = []
    for label in sorted(set(configured_targets(settings)) | set(items)):
        status = judge(items.get(label), label, rules, now)
        if status.item is not None:
            progress(f"finding the last execution of {label}")
            status = replace(status, last_execution=last_execution(aws, status.item))
        targets.append(status)
    return StatusReport(aws.deployment, now, switch, settings, targets, state.fleet)
