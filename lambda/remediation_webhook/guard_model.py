"""The remediation guard's decision rules, written once as a pure in-memory model (standard library only).

DecisionStore (state.py) enforces these rules with DynamoDB conditional writes; this model is the same rules as plain
Python, for the backtest and as the reference the store is tested against (tests/lambda/test_guard_model_vs_store.py).

Times are whole seconds: every ``now`` is truncated with ``int(now)``, as the store writes it. Each target has one
state, absent until its first start:

- ``alert_key``: the alert that decided the last start;
- ``cooldown_until``: that start's time plus the cooldown;
- ``attempts``: a shift register of the last ``max_attempts`` start times, oldest first, 0 for an empty slot;
- ``escalated_until``: set by an escalation, to the oldest attempt plus the window.

A claim for ``alert_key`` at ``now`` starts (Verdict.START) on a target with no state, or when all of these hold:

- dedup: ``alert_key`` differs from the last start's (one alert, however often delivered, is decided once);
- cooldown: ``cooldown_until <= now``;
- attempt cap: ``attempts[0] <= now - window``: the oldest of the last N starts has left the window, so fewer than N
  starts lie inside it (an exact sliding window). An empty slot counts as a start at time 0, so a clock earlier than
  ``window`` seconds after the epoch never frees it, exactly as in the store.

A start shifts ``attempts`` left, writes ``now`` last and sets ``alert_key`` and ``cooldown_until``. Otherwise nothing
changes and the verdict says why, first match wins: same ``alert_key`` → DUPLICATE; ``cooldown_until > now`` →
COOLDOWN; else → EXHAUSTED. A start is never rolled back: a start that then fails still counts as an attempt.

An EXHAUSTED delivery then claims the escalation, which succeeds (and sets ``escalated_until = attempts[0] + window``)
only if the cap is still exhausted and no earlier escalation is still running (``escalated_until <= now`` or unset):
exactly one escalation per exhausted window. If publishing the escalation fails, the claim is released, so a later
delivery in the same window escalates instead.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace


class Verdict(enum.Enum):
    START = "start"
    DUPLICATE = "duplicate"
    COOLDOWN = "cooldown"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True)
class GuardRules:
    """The guard's settings, with the ranges the Lambda's configuration accepts."""

    cooldown_seconds: int
    max_attempts: int
    window_seconds: int

    def __post_init__(self) -> None:
        if self.cooldown_seconds < 0:
            raise ValueError(f"cooldown_seconds must be 0 or more, got {self.cooldown_seconds}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be 1 or more, got {self.max_attempts}")
        if self.window_seconds < 1:
            raise ValueError(f"window_seconds must be 1 or more, got {self.window_seconds}")

    def cooldown_until(self, started_at: int) -> int:
        return started_at + self.cooldown_seconds

    def window_cutoff(self, now: int) -> int:
        """The oldest attempt must be at or before this time for the cap to let another start through."""
        return now - self.window_seconds

    def retry_at(self, oldest_attempt: int) -> int:
        """When the oldest attempt leaves the window (also when an escalation for it ends)."""
        return oldest_attempt + self.window_seconds


def losing_verdict(same_alert: bool, cooldown_until: int, now: int) -> Verdict:
    """Why a claim that did not start lost: DUPLICATE before COOLDOWN before EXHAUSTED."""
    if same_alert:
        return Verdict.DUPLICATE
    if cooldown_until > now:
        return Verdict.COOLDOWN
    return Verdict.EXHAUSTED


@dataclass(frozen=True)
class TargetState:
    """What the store's item for one target holds, as far as the rules read it."""

    alert_key: str
    cooldown_until: int
    attempts: tuple[int, ...]  # oldest first, 0 = empty slot
    escalated_until: int | None = None


@dataclass(frozen=True)
class GuardOutcome:
    """What the Lambda decided for one delivery: the claim's verdict, and whether this delivery escalated."""

    verdict: Verdict
    escalated: bool = False


@dataclass
class GuardModel:
    """Per-target guard state in memory; each method is the store's method of the same name."""

    rules: GuardRules
    targets: dict[str, TargetState] = field(default_factory=dict)

    def copy(self) -> GuardModel:
        return GuardModel(self.rules, dict(self.targets))  # states are frozen, so a shallow copy is independent

    def claim(self, target_label: str, alert_key: str, now: float) -> Verdict:
        """Decide whether `alert_key` may start a remediation of the target at `now` (the module docstring)."""
        now_s = int(now)
        state = self.targets.get(target_label)
        if state is not None and not self._may_start(state, alert_key, now_s):
            return losing_verdict(state.alert_key == alert_key, state.cooldown_until, now_s)
        previous_attempts = state.attempts if state else (0,) * self.rules.max_attempts
        attempts = (*previous_attempts[1:], now_s)
        escalated_until = state.escalated_until if state else None
        self.targets[target_label] = TargetState(alert_key, self.rules.cooldown_until(now_s), attempts, escalated_until)
        return Verdict.START

    def _may_start(self, state: TargetState, alert_key: str, now: int) -> bool:
        return (
            state.alert_key != alert_key
            and state.cooldown_until <= now
            and state.attempts[0] <= self.rules.window_cutoff(now)
        )

    def claim_escalation(self, target_label: str, now: float) -> bool:
        """True for exactly one claim per exhausted window: that caller publishes the escalation."""
        now_s = int(now)
        state = self.targets.get(target_label)
        if state is None or state.attempts[0] <= self.rules.window_cutoff(now_s):
            return False
        if state.escalated_until is not None and state.escalated_until > now_s:
            return False
        self.targets[target_label] = replace(state, escalated_until=self.rules.retry_at(state.attempts[0]))
        return True

    def release_escalation(self, target_label: str, retry_at: int) -> None:
        """Undo the escalation claim that set `retry_at` (and only that one), so a later delivery escalates."""
        state = self.targets.get(target_label)
        if state is not None and state.escalated_until == int(retry_at):
            self.targets[target_label] = replace(state, escalated_until=None)

    def deliver(self, target_label: str, alert_key: str, now: float, publish_succeeds: bool = True) -> GuardOutcome:
        """One delivery as the Lambda handles it: claim; if EXHAUSTED, claim the escalation (released again when
        publishing it fails, so `escalated` then means the claim was won but nothing was published)."""
        verdict = self.claim(target_label, alert_key, now)
        if verdict is not Verdict.EXHAUSTED or not self.claim_escalation(target_label, now):
            return GuardOutcome(verdict)
        if not publish_succeeds:
            self.release_escalation(target_label, self.rules.retry_at(self.targets[target_label].attempts[0]))
        return GuardOutcome(verdict, escalated=True)


def replay(events: Iterable[tuple[float, str, str]], rules: GuardRules) -> list[GuardOutcome]:
    """The outcome of each `(now, target_label, alert_key)` delivery, in the given order, from an empty state; every
    escalation is assumed to publish."""
    model = GuardModel(rules)
    return [model.deliver(target_label, alert_key, now) for now, target_label, alert_key in events]
